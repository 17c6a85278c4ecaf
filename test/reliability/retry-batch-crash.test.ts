// A worker killed right after it wrote a retry batch and before it recorded which recipients
// that batch took over: the next worker must not send those recipients itself as well. Only
// the messages the dead worker had sent but not yet recorded (its in-flight window) may go out
// twice, with their original Message-ID.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SmtpSink } from '../support/smtp-sink.ts';
import { openTestStore, testMongoUri } from '../support/db.ts';
import type { Store } from '../../engine/store/index.ts';
import { byRecipient, campaignProgress, campaignSettled, dueBroadcast, insertMembers, memberEmail, startWorker, stopWorkers, waitFor, workerEnv } from './harness.ts';

const MEMBERS = 30;

let store: Store;
let sink: SmtpSink;

beforeAll(async () => {
  store = await openTestStore('reliability_retry_batch_crash');
  sink = await SmtpSink.start();
});

afterAll(async () => {
  await stopWorkers();
  await sink?.close();
  await store?.close();
});

it('a worker killed between writing a retry batch and recording its results: deferred members still get one message each', async () => {
  const emails = await insertMembers(store, MEMBERS);
  const deferred = [0, 1, 2, 3, 4].map(memberEmail); // 451 at RCPT once: these go to a retry batch
  for (const recipient of deferred) sink.respond({ stage: 'rcpt', code: 451, recipient, times: 1 });
  const campaign = dueBroadcast('retry-crash-newsletter', new Date());
  const env = workerEnv(store, testMongoUri(), sink.url, campaign, {
    FLYWHEEL_LEASE_MS: '3000',
    FLYWHEEL_RETRY_BASE_MS: '200',
    FLYWHEEL_TEST_SWEEP_MS: '500',
  });

  const first = startWorker({ ...env, FLYWHEEL_TEST_CRASH_ON_RETRY: '1' });
  expect((await first.ready).planned).toBe(MEMBERS);
  expect(await first.exited).toBe('SIGKILL');
  // the kill came after the first attempt reached every member, while the retry was being queued
  for (const email of deferred) expect(sink.rcptAttempts.filter((a) => a === email), email).toHaveLength(1);
  const receivedBeforeKill = sink.messages.length;
  expect(receivedBeforeKill).toBe(MEMBERS - deferred.length);

  const second = startWorker(env);
  expect((await second.ready).planned).toBe(0);
  await waitFor('every batch, retries included, to finish', () => campaignSettled(store, campaign.name), 30_000, 200,
    () => campaignProgress(store, campaign.name, sink.messages.length));
  // a retry batch queued late is picked up by the sweep: give it time to send anything extra
  await new Promise((r) => setTimeout(r, 2000));

  const received = byRecipient(sink.messages);
  expect(emails.filter((e) => !received.has(e))).toEqual([]);
  // the deferred members were never delivered by the dead worker: exactly one copy each
  for (const email of deferred) expect(received.get(email)?.length, email).toBe(1);
  // anyone else got at most a second copy of the same message (sent but unrecorded at the kill)
  for (const list of received.values()) expect(new Set(list.map((m) => m.messageId)).size).toBe(1);

  second.kill('SIGTERM');
  expect(await second.exited).toBe(0);
}, 90_000);
