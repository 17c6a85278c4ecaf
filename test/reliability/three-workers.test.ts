// Three worker processes started together on one campaign: they race to plan it and then share
// its batches (Agenda's locking is not atomic on FerretDB, so some jobs may run twice). Keyed
// send-log inserts and batch leases mean every member still gets exactly one message.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SmtpSink } from '../support/smtp-sink.ts';
import { openTestStore, testMongoUri } from '../support/db.ts';
import type { Store } from '../../engine/store/index.ts';
import { byRecipient, campaignProgress, campaignSettled, dueBroadcast, insertMembers, startWorker, stopWorkers, waitFor, workerEnv } from './harness.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';
import { recordedResults } from '../../engine/ledger/index.ts';

const MEMBERS = Number(process.env.RELIABILITY_MEMBERS ?? 1000);
const WORKERS = 3;

let store: Store;
let sink: SmtpSink;

beforeAll(async () => {
  store = await openTestStore('reliability_three_workers');
  sink = await SmtpSink.start();
});

afterAll(async () => {
  await stopWorkers();
  await sink?.close();
  await store?.close();
});

it('three workers on one campaign at once: every member gets exactly one message, none missed', async () => {
  const emails = await insertMembers(store, MEMBERS);
  const campaign = dueBroadcast('shared-newsletter', new Date());
  const env = workerEnv(store, testMongoUri(), sink.url, campaign, { FLYWHEEL_LEASE_MS: '5000', FLYWHEEL_BATCH_SIZE: '50', SMTP_POOL_SIZE: '2' });

  const workers = Array.from({ length: WORKERS }, () => startWorker(env));
  const t0 = performance.now();
  const ready = await Promise.all(workers.map((w) => w.ready));
  const readyMs = Math.round(performance.now() - t0);
  // all three planned at the same time; each send was created by exactly one of them
  expect(ready.reduce((n, r) => n + r.planned, 0)).toBe(MEMBERS);
  await waitFor('every batch to finish', () => campaignSettled(store, campaign.name), 45_000, 200, async () => `${await campaignProgress(store, campaign.name, sink.messages.length)}\n${workers.map((w) => w.stderr().slice(-1500)).join('\n---\n')}`);

  const received = byRecipient(sink.messages);
  expect(emails.filter((e) => !received.has(e))).toEqual([]);
  expect([...received].filter(([, list]) => list.length > 1).map(([email]) => email)).toEqual([]);
  expect(sink.messages).toHaveLength(MEMBERS);
  expect(new Set(sink.messages.map((m) => m.messageId)).size).toBe(MEMBERS);

  const results = await recordedResults(store, { campaign: campaign.name });
  expect(results.filter((r) => r.status === 'sent')).toHaveLength(MEMBERS);
  expect(results).toHaveLength(MEMBERS);

  // the work really was shared: batches ran in more than one process
  const leases = await (await ledgerModels(store)).BatchLease.find({}, { worker: 1 }).lean();
  const busyWorkers = new Set(leases.map((l) => l.worker));
  console.log(`three workers: ready in ${readyMs} ms, all sent ${Math.round(performance.now() - t0)} ms after start; planned ${ready.map((r) => r.planned).join(' + ')}, batch runs ${leases.length} across ${busyWorkers.size} worker(s)`);
  expect(busyWorkers.size).toBeGreaterThan(1);

  for (const w of workers) w.kill('SIGTERM');
  expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0]);
}, 60_000);
