// The daily cap holds recipients back to the next day without using up their delivery
// attempts: a held-back member whose server then defers once still gets the message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/db.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { broadcastCampaign, seedMembers, testConfig } from '../support/engine.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { ManualClock } from '../../engine/clock.ts';
import type { Store } from '../../engine/store/index.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';
import { recordedResults } from '../../engine/ledger/index.ts';

let store: Store;
let sink: SmtpSink;
let engine: Engine;
const clock = new ManualClock('2026-12-01T10:00:00Z');
const campaign = broadcastCampaign('cap-broadcast');

beforeAll(async () => {
  store = await openTestStore('sending_daily_cap');
  sink = await SmtpSink.start();
  engine = await createEngine(
    testConfig({ SMTP_URL: sink.url, FLYWHEEL_DAILY_CAP: '50', FLYWHEEL_MAX_ATTEMPTS: '2', FLYWHEEL_RETRY_BASE_MS: '1000', FLYWHEEL_FREQUENCY_CAP: '0' }),
    { store, clock, campaigns: [campaign] },
  );
});
afterAll(async () => { await engine?.close(); await sink?.close(); await store?.close(); });

const unfinished = async () => (await (await ledgerModels(store)).SendBatch.find({ finishedAt: null }).lean()).map((b) => String(b._id));

describe('the daily cap', () => {
  it('sends 50 today, the 51st tomorrow, and a deferral after that still gets its retry', async () => {
    await seedMembers(store, 51, 'cap');
    await engine.scheduler.plan(campaign, { now: clock.now(), forceStep: campaign.steps[0] });
    for (const id of await unfinished()) await engine.scheduler.runBatch(id);
    expect(sink.messages).toHaveLength(50);

    const held = (await recordedResults(store)).find((r) => r.status === 'retrying' && r.reason === 'daily cap reached');
    const heldRecord = await (await ledgerModels(store)).SendLog.findById(held!.sendLogId).lean();
    const [tomorrow] = await (await ledgerModels(store)).SendBatch.find({ finishedAt: null }).lean();
    expect(tomorrow!.dueAt.toISOString()).toBe('2026-12-02T00:00:00.000Z');

    // tomorrow, that member's server defers once
    sink.respond({ stage: 'rcpt', code: 451, message: '4.7.1 try again later', recipient: heldRecord!.email, times: 1 });
    clock.set('2026-12-02T00:00:05Z');
    await engine.scheduler.runBatch(String(tomorrow!._id));
    clock.set('2026-12-02T00:10:00Z');
    for (const id of await unfinished()) await engine.scheduler.runBatch(id);

    expect(sink.messages.filter((m) => m.to[0] === heldRecord!.email)).toHaveLength(1);
    expect(sink.messages).toHaveLength(51);
    expect((await recordedResults(store)).filter((r) => r.status === 'failed').length).toBe(0);
  });
});
