// The embedded database killed for good in the middle of `flywheel send` (real processes: the
// CLI, its database guard and FerretDB; the guard is killed too, so nothing restarts it). The
// command must stop handing messages to SMTP as soon as outcomes cannot be recorded, exit within
// seconds naming the database, and a second `flywheel send` must resume the unfinished batches:
// nobody missed, duplicates only within the in-flight window (same Message-ID), and the step's
// counters equal its recorded results.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SmtpSink } from '../support/smtp-sink.ts';
import { runFlywheel } from '../support/cli-process.ts';
import { openDatabase, type Database } from '../../engine/store/index.ts';
import { loadConfig } from '../../engine/config.ts';
import { lockPathFor } from '../../engine/store/shared-server.ts';
import { readRollups } from '../../engine/reports/rollups.ts';
import { recordedResults } from '../../engine/ledger/index.ts';
import { RESULT_FLUSH_EVERY } from '../../engine/delivery/result-writer.ts';
import { byRecipient, insertMembers, waitFor } from './harness.ts';

const MEMBERS = Number(process.env.RELIABILITY_MEMBERS ?? 1000);
const CAMPAIGN = 'launch-announcement-2026';
/** what one run may have sent without a recorded outcome: messages in flight (pool 5 x 4) + outcomes waiting to be written (2 pages) */
const IN_FLIGHT_WINDOW = 5 * 4 + 2 * RESULT_FLUSH_EVERY;
/** batches a command runs at once (createEngine's batchConcurrency) */
const BATCHES_AT_ONCE = 2;

const dataDir = mkdtempSync(join(tmpdir(), 'flywheel-db-killed-'));
let sink: SmtpSink;
let db: Database | undefined;
const env = () => ({
  MONGODB_URI: undefined, FLYWHEEL_DATA_DIR: dataDir, FLYWHEEL_DB_NAME: 'flywheel', FLYWHEEL_SECRET: randomBytes(32).toString('base64url'),
  FLYWHEEL_TRANSPORT: 'smtp', SMTP_URL: sink.url, SMTP_POOL_SIZE: '5', FLYWHEEL_FREQUENCY_CAP: '0', LOG_LEVEL: 'error',
});
const open = () => openDatabase(loadConfig({ ...process.env, ...env(), MONGODB_URI: undefined } as NodeJS.ProcessEnv, () => {}));

beforeAll(async () => { sink = await SmtpSink.start(); });
afterAll(async () => {
  await db?.close().catch(() => {});
  await sink?.close();
  // the server outlives its last user briefly: let it go before removing its files
  for (let i = 0; i < 100; i++) { try { readFileSync(lockPathFor(join(dataDir, 'ferretdb'))); } catch { break; } await new Promise((r) => setTimeout(r, 100)); }
  rmSync(dataDir, { recursive: true, force: true });
});

it('the database killed mid-send: the command stops sending and exits naming it; the next send resumes, nobody missed, counters = results', async () => {
  db = await open();
  const emails = await insertMembers(db.store, MEMBERS);
  const lock = JSON.parse(readFileSync(lockPathFor(join(dataDir, 'ferretdb')), 'utf8')) as { guardPid: number; serverPid: number };

  const first = runFlywheel(['send', CAMPAIGN], env(), 240_000);
  await waitFor('the send to be part-way through', () => sink.messages.length >= 200, 180_000, 20);
  // the guard first (so it restarts nothing), then the server itself
  process.kill(lock.guardPid, 'SIGKILL');
  process.kill(lock.serverPid, 'SIGKILL');
  const killedAt = performance.now();
  const atKill = sink.messages.length;
  const run = await first;
  const exitMs = performance.now() - killedAt;
  await new Promise((r) => setTimeout(r, 500)); // the sink finishes reading what it was sent
  const beforeResume = sink.messages.length;
  console.log(`database killed at ${atKill} received; the command exited ${Math.round(exitMs)} ms later with code ${run.code}; ${beforeResume - atKill} more received after the kill\n${run.stderr.slice(run.stderr.lastIndexOf('\nerror: ') + 1).trim()}`);

  expect(run.code).toBe(2);
  expect(exitMs).toBeLessThan(30_000);
  // what the operator reads last: the database named, no driver error, no stack trace
  const message = run.stderr.slice(run.stderr.lastIndexOf('\nerror: ') + 1);
  // Two honest words for it, whichever notices first: the send (a result page cannot be written)
  // or the registration with the database's guard (the guard, killed here, closed it).
  expect(message).toMatch(new RegExp(
    '^error: The embedded database \\((FerretDB, files in .*ferretdb, 127\\.0\\.0\\.1:\\d+\\) stopped answering' +
    '|ferretdb, data in .*\\) is gone and will not come back by itself: its guard process \\(pid \\d+\\) was stopped or killed)'));
  expect(message).toMatch(/\nhint: [Nn]othing (recorded )?is lost/);
  expect(message).not.toMatch(/ECONNREFUSED|MongoServerSelectionError|\n\s+at /);
  // after the kill at most the in-flight window of each running batch went out
  expect(beforeResume - atKill).toBeLessThanOrEqual(BATCHES_AT_ONCE * IN_FLIGHT_WINDOW);
  expect(beforeResume).toBeLessThan(MEMBERS);

  // the database comes back with the next command; the same command resumes the unfinished batches
  await db.close().catch(() => {});
  const second = await runFlywheel(['send', CAMPAIGN], env(), 400_000);
  expect(second.stderr).toBe('');
  expect(second.code).toBe(0);
  expect(second.stdout).toMatch(/resumed \d+ unfinished batch/);

  const received = byRecipient(sink.messages);
  expect(emails.filter((e) => !received.has(e))).toEqual([]);
  const duplicated = [...received.values()].filter((list) => list.length > 1);
  const duplicates = duplicated.reduce((n, list) => n + list.length - 1, 0);
  console.log(`resumed: ${sink.messages.length} received in all for ${MEMBERS} members, ${duplicates} duplicate(s)`);
  expect(duplicates).toBeLessThanOrEqual(BATCHES_AT_ONCE * IN_FLIGHT_WINDOW);
  for (const list of duplicated) expect(new Set(list.map((m) => m.messageId)).size).toBe(1);

  // the record and the counters agree
  db = await open();
  const results = await recordedResults(db.store, { campaign: CAMPAIGN });
  expect(results.filter((r) => r.status === 'sent')).toHaveLength(MEMBERS);
  const counted = (await readRollups(db.store, { campaign: CAMPAIGN })).reduce((n, r) => n + r.totals.sent, 0);
  expect(counted).toBe(MEMBERS);
  const third = await runFlywheel(['send', CAMPAIGN], env(), 120_000);
  expect(third.stdout).toMatch(/nothing new to send/);
}, 600_000);
