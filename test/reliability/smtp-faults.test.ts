// A relay that defers some recipients (421, 451) and refuses others (550): deferred members
// get the newsletter once after a retry, refused addresses end failed and suppressed, a member
// deferred on every attempt ends failed (not suppressed) after the last attempt. Nobody is lost.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SmtpSink } from '../support/smtp-sink.ts';
import { openTestStore, testMongoUri } from '../support/db.ts';
import type { Store } from '../../engine/store/index.ts';
import { byRecipient, campaignSettled, dueBroadcast, insertMembers, memberEmail, startWorker, stopWorkers, waitFor, workerEnv } from './harness.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';
import { recordedResults } from '../../engine/ledger/index.ts';

const MEMBERS = 40;
const MAX_ATTEMPTS = 4;

let store: Store;
let sink: SmtpSink;

beforeAll(async () => {
  store = await openTestStore('reliability_smtp_faults');
  sink = await SmtpSink.start();
});

afterAll(async () => {
  await stopWorkers();
  await sink?.close();
  await store?.close();
});

it('deferred recipients get the newsletter after a retry, refused ones end failed and suppressed, none are lost', async () => {
  const emails = await insertMembers(store, MEMBERS);
  const deferredTwice = [0, 1, 2, 3].map(memberEmail); // 451 at RCPT for two attempts: arrives on the third
  const closedOnce = [4, 5, 6].map(memberEmail); //       421 at RCPT (the server closes the connection) once
  const deferredAtData = [7, 8].map(memberEmail); //      451 after DATA once: the message was transferred, then refused
  const refused = [9, 10, 11, 12].map(memberEmail); //    550 5.1.1 unknown user, always
  const alwaysDeferred = memberEmail(13); //               451 on every attempt
  for (const recipient of deferredTwice) sink.respond({ stage: 'rcpt', code: 451, recipient, times: 2 });
  for (const recipient of closedOnce) sink.respond({ stage: 'rcpt', code: 421, recipient, times: 1 });
  for (const recipient of deferredAtData) sink.respond({ stage: 'data', code: 451, recipient, times: 1 });
  for (const recipient of refused) sink.respond({ stage: 'rcpt', code: 550, recipient });
  sink.respond({ stage: 'rcpt', code: 451, recipient: alwaysDeferred });

  const campaign = dueBroadcast('faults-newsletter', new Date());
  const worker = startWorker(workerEnv(store, testMongoUri(), sink.url, campaign, {
    FLYWHEEL_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    FLYWHEEL_RETRY_BASE_MS: '200',
    FLYWHEEL_LEASE_MS: '5000',
  }));
  expect((await worker.ready).planned).toBe(MEMBERS);
  await waitFor('the first attempt and every retry to finish', () => campaignSettled(store, campaign.name), 30_000, 200);

  // What members notice: everyone mailable got exactly one copy; refused addresses got nothing.
  const received = byRecipient(sink.messages);
  const unreachable = new Set([...refused, alwaysDeferred]);
  for (const email of emails) expect(received.get(email)?.length ?? 0, email).toBe(unreachable.has(email) ? 0 : 1);
  expect(new Set(sink.messages.map((m) => m.messageId)).size).toBe(sink.messages.length);
  const attempts = (email: string) => sink.rcptAttempts.filter((a) => a === email).length;
  for (const email of deferredTwice) expect(attempts(email), email).toBe(3);
  expect(attempts(alwaysDeferred)).toBe(MAX_ATTEMPTS);
  for (const email of refused) expect(attempts(email), email).toBe(1); // a hard bounce is not retried

  // What the operator sees: each record's last attempt is final (sent or failed), never left retrying.
  const records = await (await ledgerModels(store)).SendLog.find({ campaign: campaign.name }, { email: 1 }).lean();
  const results = await recordedResults(store, { campaign: campaign.name });
  const last = new Map<string, { status: string; attempt: number; reason?: string | null }>();
  for (const r of results) {
    const [id, n] = r._id.split(':');
    const attempt = Number(n);
    if ((last.get(id!)?.attempt ?? 0) < attempt) last.set(id!, { status: r.status, attempt, reason: r.reason });
  }
  expect(records).toHaveLength(MEMBERS);
  const finalStatus = new Map(records.map((rec) => [rec.email, last.get(String(rec._id))]));
  for (const email of emails) {
    const outcome = finalStatus.get(email);
    expect(outcome?.status, email).toBe(unreachable.has(email) ? 'failed' : 'sent');
  }
  expect(finalStatus.get(alwaysDeferred)).toMatchObject({ status: 'failed', attempt: MAX_ATTEMPTS });
  expect(finalStatus.get(alwaysDeferred)?.reason).toMatch(/attempt 4 of 4/);

  // Hard bounces are suppressed; a member who was only ever deferred is not.
  const suppressed = await (await ledgerModels(store)).Suppression.find({}, { email: 1, reason: 1 }).lean();
  expect(suppressed.map((s) => s.email).sort()).toEqual([...refused].sort());
  expect(new Set(suppressed.map((s) => s.reason))).toEqual(new Set(['hard-bounce']));

  worker.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
}, 45_000);
