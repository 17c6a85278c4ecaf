// A renewal reminder planned before the member renewed is not sent: the sender asks the
// planner again at send time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/db.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { testConfig } from '../support/engine.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { ManualClock } from '../../engine/clock.ts';
import { validateDefinition } from '../../engine/campaigns/index.ts';
import renewalYearly from '../../campaigns/renewal-yearly.ts';
import programs from '../../campaigns/programs.ts';
import type { Store } from '../../engine/store/index.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';
import { recordedResults } from '../../engine/ledger/index.ts';

let store: Store;
let sink: SmtpSink;
let engine: Engine;
const clock = new ManualClock('2026-12-02T09:30:00Z'); // 30 days before expiry, 10:30 in Berlin
const campaign = validateDefinition(renewalYearly, 'campaigns/renewal-yearly.ts', '', programs).campaign!;

beforeAll(async () => {
  store = await openTestStore('sending_renewal_stop');
  sink = await SmtpSink.start();
  engine = await createEngine(testConfig({ SMTP_URL: sink.url }), { store, clock, campaigns: [campaign] });
});
afterAll(async () => { await engine?.close(); await sink?.close(); await store?.close(); });

describe('renewal reminders stop as soon as a member renews', () => {
  it('sends the 30-day reminder to a member who has not renewed, and skips one who renewed after it was planned', async () => {
    const expiresAt = new Date('2027-01-01T12:00:00Z');
    await store.models.Member.create({ email: 'waiting@example.org', name: 'Wai Ting', program: 'education', status: 'active', timezone: 'Europe/Berlin', expiresAt });
    const renewer = await store.models.Member.create({ email: 'renewer@example.org', name: 'Re Newer', program: 'startups', status: 'active', timezone: 'Europe/Berlin', expiresAt });

    const planned = await engine.scheduler.plan(campaign, { now: clock.now() });
    expect(planned.created).toBe(2);

    // the member renews between planning and sending
    await store.models.Member.updateOne({ _id: renewer._id }, { $set: { expiresAt: new Date('2028-01-01T12:00:00Z') }, $push: { renewals: { renewedAt: clock.now(), expiresAt: new Date('2028-01-01T12:00:00Z') } } });

    const batches = await (await ledgerModels(store)).SendBatch.find({ campaign: campaign.name }).lean();
    for (const b of batches) await engine.scheduler.runBatch(String(b._id));

    expect(sink.messages.map((m) => m.to[0])).toEqual(['waiting@example.org']);
    expect(sink.messages[0]!.subject).toBe('Your membership ends in 30 days');
    const skipped = (await recordedResults(store, { campaign: campaign.name })).filter((r) => r.status === 'skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.reason).toMatch(/no longer due/);
  });
});
