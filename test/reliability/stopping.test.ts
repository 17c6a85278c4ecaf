// Stopping `flywheel start` with SIGTERM, as a service manager or container platform does: it
// exits within 5 s, idle or in the middle of a send, logging each phase; the sends it had not
// started are handed back, so the next start finishes the campaign with every member getting
// the message exactly once and the counters equal to the recorded results.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpSink } from '../support/smtp-sink.ts';
import { openTestStore, testMongoUri } from '../support/db.ts';
import { TEST_SECRET } from '../support/engine.ts';
import { ROOT_DIR, type Store } from '../../engine/store/index.ts';
import { resultCountsOfStep } from '../../engine/ledger/index.ts';
import { byRecipient, campaignSettled, dueBroadcast, insertMembers, waitFor } from './harness.ts';
import { startService, stopServices, writeCampaignsDir, type ServiceProcess } from './service-process.ts';

const MEMBERS = 1500;
const STOP_WITHIN_MS = 5000;

let store: Store;
let sink: SmtpSink;
let dir: string;

beforeAll(async () => {
  store = await openTestStore('reliability_stopping');
  sink = await SmtpSink.start();
  dir = mkdtempSync(join(ROOT_DIR, '.data', 'stopping-'));
});
afterAll(async () => {
  await stopServices();
  await sink?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function env(campaignsDir: string): Record<string, string | undefined> {
  return {
    MONGODB_URI: testMongoUri(),
    FLYWHEEL_DB_NAME: store.db.databaseName,
    FLYWHEEL_DATA_DIR: join(dir, 'data'),
    FLYWHEEL_CAMPAIGNS_DIR: campaignsDir,
    FLYWHEEL_SECRET: TEST_SECRET,
    FLYWHEEL_TRANSPORT: 'smtp',
    SMTP_URL: sink.url,
    // paced, so that the stop lands in the middle of the send
    FLYWHEEL_SEND_RATE: '150',
    FLYWHEEL_BATCH_SIZE: '100',
  };
}

/** SIGTERM, then how long the process took to exit and with which code. */
async function stop(service: ServiceProcess): Promise<{ ms: number; code: number | string }> {
  const sent = performance.now();
  service.kill('SIGTERM');
  const { code, at } = await service.exited;
  return { ms: Math.round(at - sent), code };
}

const started = (s: ServiceProcess) => s.lines().some((l) => l.msg === 'flywheel started');
const said = (s: ServiceProcess, text: string) => s.lines().some((l) => l.msg.includes(text));

describe('stopping flywheel start', () => {
  it('idle: exits within 5 s of SIGTERM, logging each phase down to the closed database', async () => {
    const service = startService('start', env(writeCampaignsDir(join(dir, 'idle-campaigns'), {})));
    await waitFor('flywheel start to be up', () => started(service), 90_000, 100, () => service.stderr());
    const { ms, code } = await stop(service);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(STOP_WITHIN_MS);
    for (const phase of ['taking no new work', 'no batch in flight', 'HTTP server closed', 'tracking hits and unsubscribe journal flushed', 'counters flushed', 'database closed', 'flywheel stopped']) {
      expect(said(service, phase), phase).toBe(true);
    }
    console.info(`idle stop: ${ms} ms from SIGTERM to exit`);
  }, 120_000);

  it('mid-send: exits within 5 s, and after the next start every member has the message exactly once and counters equal results', async () => {
    const emails = await insertMembers(store, MEMBERS);
    const campaign = dueBroadcast('stopping-newsletter', new Date());
    const campaignsDir = writeCampaignsDir(join(dir, 'send-campaigns'), { 'stopping-newsletter': campaign });

    const first = startService('start', env(campaignsDir));
    await waitFor('the first start to be part-way through the send', () => sink.messages.length >= 200, 120_000, 20, () => first.stderr().slice(-2000));
    const { ms, code } = await stop(first);
    await new Promise((r) => setTimeout(r, 300)); // the sink finishes parsing what it had accepted
    const receivedAtStop = sink.messages.length;
    expect(code).toBe(0);
    expect(ms).toBeLessThan(STOP_WITHIN_MS);
    expect(receivedAtStop).toBeLessThan(MEMBERS); // the stop really came mid-send
    expect(said(first, 'batch handed back')).toBe(true);
    expect(said(first, 'flywheel stopped')).toBe(true);
    // what was delivered before the stop is recorded: nothing in flight was dropped
    expect((await resultCountsOfStep(store, campaign.name, 'send')).sent ?? 0).toBe(receivedAtStop);

    const second = startService('start', env(campaignsDir));
    await waitFor('every batch to finish', () => campaignSettled(store, campaign.name), 120_000, 200, () => `${sink.messages.length} received`);
    const again = await stop(second);
    expect(again.code).toBe(0);
    expect(again.ms).toBeLessThan(STOP_WITHIN_MS);

    const received = byRecipient(sink.messages);
    expect(emails.filter((e) => !received.has(e))).toEqual([]);
    expect([...received.values()].filter((list) => list.length > 1).length).toBe(0);
    expect(sink.messages.length).toBe(MEMBERS);
    const results = await resultCountsOfStep(store, campaign.name, 'send');
    expect(results.sent).toBe(MEMBERS);
    const rollups = await store.models.Rollup.find({ campaign: campaign.name }).lean();
    expect(rollups.reduce((n, r) => n + Number((r as { sent?: number }).sent ?? 0), 0)).toBe(MEMBERS);
    console.info(`mid-send stop: ${ms} ms from SIGTERM to exit with ${receivedAtStop} of ${MEMBERS} delivered; next start finished the rest; restart stop ${again.ms} ms`);
  }, 240_000);
});
