import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { days, defineCampaign, registerCampaigns, setCampaignState, validateDefinition, type CampaignDefinition } from '../../engine/campaigns/index.ts';
import type { Store } from '../../engine/store/index.ts';
import { openTestStore } from '../support/db.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';

let store: Store;
beforeAll(async () => { store = await openTestStore('campaigns-register'); });
afterAll(async () => { await store.close(); });

const now = new Date('2026-05-01T00:00:00Z');
const loaded = (def: CampaignDefinition) => validateDefinition(def, 'campaigns/x.ts').campaign!;
const drip = (steps: string[]) =>
  loaded(defineCampaign({ kind: 'drip', name: 'onboarding', entry: { on: 'awardedAt' }, steps: steps.map((id, i) => ({ id, after: days(i), template: 'onboarding-step', subject: id })) }));

async function sendlog(campaign: string, step: string, status: string) {
  const memberId = new Types.ObjectId();
  await (await ledgerModels(store)).SendLog.collection.insertOne({ key: `${campaign}:${step}:${memberId}:`, campaign, step, occurrence: '', memberId, email: 'a@example.org', template: 't', status, dueAt: now, messageId: `<${memberId}@test>` });
}

describe('campaign registration', () => {
  it('records kind, version and steps; an edit that removes a step cancels only its pending sends', async () => {
    await registerCampaigns(store, [drip(['welcome', 'tips', 'survey'])], now);
    await sendlog('onboarding', 'tips', 'pending');
    await sendlog('onboarding', 'tips', 'sent');
    await sendlog('onboarding', 'welcome', 'pending');
    const report = await registerCampaigns(store, [drip(['welcome', 'survey'])], now);
    expect(report).toMatchObject({ changed: ['onboarding'], cancelledSends: 1 });
    const statuses = await (await ledgerModels(store)).SendLog.find({}, { step: 1, status: 1, _id: 0 }).sort({ step: 1, status: 1 }).lean();
    expect(statuses.map((s) => `${s.step}:${s.status}`)).toEqual(['tips:cancelled', 'tips:sent', 'welcome:pending']);
    const state = await store.models.CampaignState.findOne({ name: 'onboarding' }).lean();
    expect(state).toMatchObject({ kind: 'drip', state: 'active', steps: ['welcome', 'survey'] });
  });

  it('keeps a paused campaign paused across re-registration, and marks a deleted file removed', async () => {
    await setCampaignState(store, 'onboarding', 'paused');
    await registerCampaigns(store, [drip(['welcome', 'survey'])], now);
    expect((await store.models.CampaignState.findOne({ name: 'onboarding' }).lean())?.state).toBe('paused');
    const report = await registerCampaigns(store, [], now);
    expect(report.removed).toEqual(['onboarding']);
    expect((await store.models.CampaignState.findOne({ name: 'onboarding' }).lean())?.state).toBe('removed');
    expect(await (await ledgerModels(store)).SendLog.countDocuments({ status: 'pending' })).toBe(0);
    await expect(setCampaignState(store, 'onboarding', 'active')).rejects.toMatchObject({ code: 'CAMPAIGN_UNKNOWN' });
  });
});
