// Send windows and frequency caps as members experience them: applied when sends are
// planned, in each member's own time zone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/db.ts';
import { broadcastCampaign } from '../support/engine.ts';
import { planCampaign, type PlanDeps } from '../../engine/scheduler/plan.ts';
import { SEVEN_DAYS_MS } from '../../engine/planner/send-timing.ts';
import type { LoadedCampaign } from '../../engine/campaigns/index.ts';
import type { Store } from '../../engine/store/index.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';

let store: Store;
let deps: PlanDeps;
beforeAll(async () => {
  store = await openTestStore('sending_timing');
  deps = { store, batchSize: 500, messageIdDomain: 'test.example', frequencyCap: { max: 2, windowMs: SEVEN_DAYS_MS, exemptCategories: ['transactional'] } };
  await store.models.Member.create({ email: 'berlin@example.org', name: 'Berlin Member', program: 'education', status: 'active', timezone: 'Europe/Berlin' });
  await store.models.Member.create({ email: 'tokyo@example.org', name: 'Tokyo Member', program: 'education', status: 'active', timezone: 'Asia/Tokyo' });
});
afterAll(async () => { await store.close(); });

function windowed(name: string): LoadedCampaign {
  const c = broadcastCampaign(name);
  return { ...c, definition: { ...c.definition, sendWindow: { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' } } };
}

async function dueAtByEmail(campaign: string): Promise<Record<string, string>> {
  const rows = await (await ledgerModels(store)).SendLog.find({ campaign }, { email: 1, dueAt: 1 }).lean();
  return Object.fromEntries(rows.map((r) => [r.email, r.dueAt.toISOString()]));
}

describe('planning respects member-local send windows and the frequency cap', () => {
  it('a send forced on a Saturday waits for Monday 09:00 in each member\'s own time zone', async () => {
    const saturday = new Date('2026-11-28T12:00:00Z');
    const campaign = windowed('window-test');
    await planCampaign(deps, campaign, { now: saturday, forceStep: campaign.steps[0] });
    expect(await dueAtByEmail('window-test')).toEqual({
      'berlin@example.org': '2026-11-30T08:00:00.000Z', // Monday 09:00 CET
      'tokyo@example.org': '2026-11-30T00:00:00.000Z', // Monday 09:00 JST
    });
  });

  it('a third marketing email within seven days is held until the oldest ages out', async () => {
    const monday = new Date('2026-11-30T10:00:00Z');
    const second = broadcastCampaign('cap-second');
    const third = broadcastCampaign('cap-third');
    await planCampaign(deps, second, { now: monday, forceStep: second.steps[0] });
    await planCampaign(deps, third, { now: monday, forceStep: third.steps[0] });
    const seconds = await dueAtByEmail('cap-second');
    const thirds = await dueAtByEmail('cap-third');
    expect(seconds['berlin@example.org']).toBe(monday.toISOString());
    // the first of the two counted sends (Monday 08:00Z) leaves the 7-day window a week later
    expect(thirds['berlin@example.org']).toBe('2026-12-07T08:00:00.000Z');
  });
});
