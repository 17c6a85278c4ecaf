// A worker killed with SIGKILL in the middle of a 2,000-recipient send, and another started:
// every member gets the newsletter, and the only possible duplicates are the messages the dead
// worker had sent but not yet recorded (its in-flight window), each with its original Message-ID.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SmtpSink } from '../support/smtp-sink.ts';
import { openTestStore, testMongoUri } from '../support/db.ts';
import type { Store } from '../../engine/store/index.ts';
import { byRecipient, campaignProgress, campaignSettled, dueBroadcast, insertMembers, startWorker, stopWorkers, waitFor, workerEnv } from './harness.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';
import { recordedResults } from '../../engine/ledger/index.ts';

const MEMBERS = 2000;
const LEASE_MS = 3000;
/** per batch: messages in flight at once (SMTP_POOL_SIZE 5 x 4) + results buffered before a flush */
const CONCURRENCY = 20;
const RESULT_FLUSH_EVERY = 100;
/** batches one worker runs at once (createEngine's batchConcurrency) */
const BATCHES_AT_ONCE = 2;

let store: Store;
let sink: SmtpSink;

beforeAll(async () => {
  store = await openTestStore('reliability_worker_crash');
  sink = await SmtpSink.start();
});

afterAll(async () => {
  await stopWorkers();
  await sink?.close();
  await store?.close();
});

it('a worker killed mid-send is replaced and every member gets the newsletter exactly once (duplicates bounded by the in-flight window)', async () => {
  const emails = await insertMembers(store, MEMBERS);
  const campaign = dueBroadcast('crash-newsletter', new Date());
  const env = workerEnv(store, testMongoUri(), sink.url, campaign, { FLYWHEEL_LEASE_MS: String(LEASE_MS) });

  const first = startWorker(env);
  expect((await first.ready).planned).toBe(MEMBERS);
  await waitFor('the first worker to be part-way through', () => sink.messages.length >= 600, 30_000, 20);
  first.kill('SIGKILL');
  expect(await first.exited).toBe('SIGKILL');
  await new Promise((r) => setTimeout(r, 500)); // the sink finishes parsing what it had received
  const receivedBeforeKill = sink.messages.length;
  // The kill really came mid-send: members were still waiting, and the record shows batches
  // left unfinished and fewer results than members.
  const unfinishedAtKill = await (await ledgerModels(store)).SendBatch.countDocuments({ campaign: campaign.name, finishedAt: null });
  const sentAtKill = (await recordedResults(store, { campaign: campaign.name })).filter((r) => r.status === 'sent').length;
  expect(receivedBeforeKill).toBeLessThan(MEMBERS);
  expect(unfinishedAtKill).toBeGreaterThan(0);
  expect(sentAtKill).toBeLessThan(MEMBERS);

  const started = performance.now();
  const second = startWorker(env);
  expect((await second.ready).planned).toBe(0); // its tick finds every send already planned
  await waitFor('every batch to finish', () => campaignSettled(store, campaign.name), 40_000, 200, () => campaignProgress(store, campaign.name, sink.messages.length));
  const recoveryMs = Math.round(performance.now() - started);

  const received = byRecipient(sink.messages);
  const missing = emails.filter((e) => !received.has(e));
  const duplicated = [...received.values()].filter((list) => list.length > 1);
  const duplicates = duplicated.reduce((n, list) => n + list.length - 1, 0);
  console.log(`worker crash: ${receivedBeforeKill} received before SIGKILL, ${sink.messages.length} in all, ` +
    `${duplicates} duplicate(s) for ${duplicated.length} member(s), recovered in ${recoveryMs} ms`);

  expect(missing).toEqual([]);
  // the second worker delivered the rest
  expect(sink.messages.length - receivedBeforeKill).toBeGreaterThanOrEqual(MEMBERS - receivedBeforeKill);
  expect(received.size).toBe(MEMBERS);
  expect(duplicates).toBeLessThanOrEqual(BATCHES_AT_ONCE * (CONCURRENCY + RESULT_FLUSH_EVERY));
  // a duplicate is the same message sent again: same Message-ID, so a mail client or relay can drop it
  for (const list of duplicated) expect(new Set(list.map((m) => m.messageId)).size).toBe(1);
  expect(new Set(sink.messages.map((m) => m.messageId)).size).toBe(MEMBERS);

  // the record agrees: one 'sent' result per member, none failed
  const results = await recordedResults(store, { campaign: campaign.name });
  expect(results.filter((r) => r.status === 'sent')).toHaveLength(MEMBERS);
  expect(results.filter((r) => r.status !== 'sent')).toEqual([]);

  second.kill('SIGTERM');
  expect(await second.exited).toBe(0);
}, 90_000);
