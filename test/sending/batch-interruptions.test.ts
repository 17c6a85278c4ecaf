// What an operator sees when a batch is interrupted while it sends: the campaign is paused or
// removed, the run loses its lease, its job is lost (the sweep), or the counters cannot be
// written. In every case no member gets a message twice and no member is lost.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../engine/store/index.ts';
import { openTestStore, testMongoUri } from '../support/db.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { broadcastCampaign, seedMembers, testConfig } from '../support/engine.ts';
import { createEngine, type Engine, type EngineOptions } from '../../engine/main.ts';
import { registerCampaigns, setCampaignState } from '../../engine/campaigns/index.ts';
import { ManualClock } from '../../engine/clock.ts';
import { CounterBuffer } from '../../engine/reports/counters.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';
import { recordedResults } from '../../engine/ledger/index.ts';

const LEASE_MS = 60_000;
let store: Store;
let sink: SmtpSink;
let engine: Engine | undefined;
let clock: ManualClock;
let n = 0;

beforeAll(async () => {
  store = await openTestStore('sending_batch_interruptions');
  sink = await SmtpSink.start();
});
afterAll(async () => { await sink?.close(); await store?.close(); });
beforeEach(async () => {
  sink.reset();
  clock = new ManualClock('2026-12-01T10:00:00Z');
  const { SendLog, SendBatch, BatchLease, SendResult } = await ledgerModels(store);
  for (const model of [store.models.Member, store.models.CampaignState, SendLog, SendBatch, BatchLease, SendResult]) await model.collection.deleteMany({});
  await store.db.collection('agendaJobs').deleteMany({});
});
afterEach(async () => { await engine?.close(); engine = undefined; });

/** An engine on the test database sending `members` at `rate` per second; returns the campaign and its one batch. */
async function paced(members: number, rate: number, options: Partial<EngineOptions> = {}) {
  const campaign = broadcastCampaign(`interrupted-${++n}`);
  engine = await createEngine(testConfig({ SMTP_URL: sink.url, FLYWHEEL_SEND_RATE: String(rate), FLYWHEEL_FREQUENCY_CAP: '0', FLYWHEEL_LEASE_MS: String(LEASE_MS), FLYWHEEL_BATCH_SIZE: '500' }), { store, clock, campaigns: [campaign], ...options });
  const emails = await seedMembers(store, members, `m${n}`);
  await engine.scheduler.plan(campaign, { now: clock.now(), forceStep: campaign.steps[0] });
  const batches = await (await ledgerModels(store)).SendBatch.find({ campaign: campaign.name }).lean();
  expect(batches).toHaveLength(1);
  return { campaign, emails, batchId: String(batches[0]!._id) };
}

const received = (emails: string[]) => emails.map((e) => sink.messages.filter((m) => m.envelope.to.includes(e)).length);
const waitForMessages = (count: number) => sink.waitForMessages(count, 10_000);

describe('a batch interrupted while it sends', () => {
  it('pausing the campaign stops its sends within seconds; after resuming, the rest arrive, each once', async () => {
    const { campaign, emails, batchId } = await paced(80, 20);
    const run = engine!.scheduler.runBatch(batchId);
    await waitForMessages(5);
    await setCampaignState(store, campaign.name, 'paused');
    const outcome = await run;
    expect(outcome).toMatchObject({ status: 'postponed', reason: 'campaign paused' });
    const whilePaused = sink.messages.length;
    expect(whilePaused).toBeLessThan(60);
    // the batch waits, and nobody was marked failed or skipped for the pause
    expect(await (await ledgerModels(store)).SendBatch.countDocuments({ _id: batchId, finishedAt: null })).toBe(1);
    expect((await recordedResults(store)).filter((r) => r.status !== 'sent').length).toBe(0);
    expect(await engine!.scheduler.runBatch(batchId)).toMatchObject({ status: 'postponed', reason: 'campaign paused' });
    expect(sink.messages.length).toBe(whilePaused);

    await setCampaignState(store, campaign.name, 'active');
    expect(await engine!.scheduler.runBatch(batchId)).toMatchObject({ status: 'done' });
    expect(received(emails)).toEqual(emails.map(() => 1));
  }, 30_000);

  it('removing the campaign stops its sends; the rest are recorded as skipped, never sent', async () => {
    const { emails, batchId } = await paced(80, 20);
    const run = engine!.scheduler.runBatch(batchId);
    await waitForMessages(5);
    await registerCampaigns(store, [], clock.now()); // the campaign file was deleted
    const outcome = await run;
    const sent = sink.messages.length;
    expect(sent).toBeLessThan(60);
    expect(outcome).toMatchObject({ status: 'done', sent, skipped: 80 - sent });
    const skipped = (await recordedResults(store)).filter((r) => r.status === 'skipped');
    expect(skipped).toHaveLength(80 - sent);
    expect(skipped.every((r) => /removed/.test(r.reason ?? ''))).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.messages.length).toBe(sent);
    expect(Math.max(...received(emails))).toBe(1);
  }, 30_000);

  it('a run that can no longer renew its lease stops starting sends; the next run sends the rest, none twice', async () => {
    const { emails, batchId } = await paced(60, 20);
    const run = engine!.scheduler.runBatch(batchId);
    await waitForMessages(5);
    // renewals have not succeeded for most of the lease (a stalled database): another worker may take over soon
    clock.advance(LEASE_MS);
    const first = await run;
    expect(first).toMatchObject({ status: 'postponed', reason: 'lease could not be renewed' });
    const byFirstRun = sink.messages.length;
    expect(byFirstRun).toBeLessThan(60);
    expect((await recordedResults(store)).filter((r) => r.status === 'sent').length).toBe(byFirstRun);

    expect(await engine!.scheduler.runBatch(batchId)).toMatchObject({ status: 'done', sent: 60 - byFirstRun, alreadyDone: byFirstRun });
    expect(received(emails)).toEqual(emails.map(() => 1));
  }, 30_000);

  it('the sweep re-queues a batch whose job was lost, once it is overdue, and leaves finished batches alone', async () => {
    const { emails } = await paced(12, 0);
    await store.db.collection('agendaJobs').deleteMany({}); // the job is lost (say its worker's queue was wiped)
    expect(await engine!.scheduler.sweep()).toBe(0); // not overdue yet: its job may still come
    clock.advance(LEASE_MS + 60_000);
    expect(await engine!.scheduler.sweep()).toBe(1);
    expect(await store.db.collection('agendaJobs').countDocuments({ name: 'flywheel:send-batch' })).toBe(1);
    await engine!.scheduler.start({ recurring: false });
    await waitForMessages(12);
    for (let i = 0; i < 50 && (await engine!.scheduler.unfinishedDue()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    await engine!.scheduler.stop();
    expect(received(emails)).toEqual(emails.map(() => 1));
    clock.advance(LEASE_MS * 2);
    expect(await engine!.scheduler.sweep()).toBe(0);
  }, 30_000);

  it('a paused campaign\'s batch waits with one job, however often the sweep runs', async () => {
    const { campaign, batchId } = await paced(4, 0, { processEveryMs: 100 });
    await setCampaignState(store, campaign.name, 'paused');
    await engine!.scheduler.start({ recurring: false });
    const jobsOfBatch = () => store.db.collection('agendaJobs').countDocuments({ name: 'flywheel:send-batch', 'data.batchId': batchId, nextRunAt: { $ne: null } });
    await new Promise((r) => setTimeout(r, 500)); // its job runs and finds the campaign paused
    clock.advance(LEASE_MS + 60_000);
    for (let sweep = 0; sweep < 3; sweep++) {
      clock.advance(30_000); // the sweep runs again and again while the campaign stays paused
      await engine!.scheduler.sweep();
      for (let i = 0; i < 30 && (await store.db.collection('agendaJobs').countDocuments({ 'data.batchId': batchId, nextRunAt: { $lte: new Date() } })) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    }
    await engine!.scheduler.stop();
    expect(sink.messages).toHaveLength(0);
    expect(await jobsOfBatch()).toBe(1);
  }, 30_000);

  it('a counter flush that fails does not fail the batch or repeat a send: the batch finishes and the numbers stay buffered for the next flush', async () => {
    // the counters' connection is gone (a database restart, say); everything else works
    const lost = await openStore(testMongoUri(), store.db.databaseName);
    await lost.close();
    const counters = new CounterBuffer(lost, { writer: 'lost-connection' });
    const { emails, batchId } = await paced(6, 0, { counters });
    expect(await engine!.scheduler.runBatch(batchId)).toMatchObject({ status: 'done', sent: 6 });
    expect(counters.failedFlushes).toBeGreaterThan(0);
    expect(counters.unflushed).toBeGreaterThan(0);
    expect(await (await ledgerModels(store)).SendBatch.countDocuments({ _id: batchId, finishedAt: null })).toBe(0);
    expect(received(emails)).toEqual(emails.map(() => 1));
  }, 30_000);
});
