// bench:track: how close does the open pixel come to a bare Fastify route serving the same GIF?
// autocannon on loopback, 10 connections, 20 s each (in ROUNDS alternating rounds), against (1) our server (token verified and
// sealed open, machine-open rules, hit buffered, bulk writer flushing to the embedded database
// while under load) with 20,000 distinct real tokens (each for a member and send record in the database), then (2) a bare Fastify route returning the
// same GIF. Each server runs in its own child process (this file with --server / --bare) so it
// never shares an event loop with autocannon. After our run the server is stopped (final flush)
// and the opens stored in the database (pages of hits) are counted: persisted must equal served.
// Run: npm run bench:track   (DURATION=s, ROUNDS=n, TOKENS=n, CONNECTIONS=n to change; CPU_PROF=dir profiles the servers)
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { Types } from 'mongoose';
import { loadConfig } from '../engine/config.ts';
import { createEngine } from '../engine/main.ts';
import { openStore, resolveDatabase, ROOT_DIR, type Store } from '../engine/store/index.ts';
import { membersWhoEngaged, recordPlannedSends, type PlannedSendRecord } from '../engine/ledger/index.ts';
import { TokenSigner } from '../engine/tracking/tokens.ts';
import { PIXEL } from '../engine/http/tracking-routes.ts';
import { lockPathFor } from '../engine/store/shared-server.ts';
import { storedHitTotals } from '../engine/tracking/hit-pages.ts';
import { cpuSeconds } from './proc-stats.ts';

const DURATION = Number(process.env.DURATION ?? 20);
const TOKENS = Number(process.env.TOKENS ?? 20_000);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
/** DURATION is split into this many alternating rounds per server */
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const DB_NAME = 'bench_track';
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const say = (line: string) => process.stderr.write(`${line}\n`);

// ---- servers (child processes) ---------------------------------------------------------
async function runServer(): Promise<void> {
  const engine = await createEngine(loadConfig({ ...process.env, LOG_LEVEL: 'warn' }), { campaigns: [] });
  const app = await engine.http();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  process.send!({ port: typeof addr === 'object' && addr ? addr.port : 0 });
  process.once('message', async () => {
    await app.close();
    const stats = { ...engine.tracking.hits.stats };
    await engine.close();
    process.send!({ stats }, () => process.exit(0));
  });
}

async function runBare(): Promise<void> {
  const app = Fastify({ routerOptions: { maxParamLength: 400 } });
  app.get('/o/:rt', (_req, reply) => { void reply.header('Cache-Control', 'no-store, max-age=0').type('image/gif').send(PIXEL); });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  process.send!({ port: typeof addr === 'object' && addr ? addr.port : 0 });
  process.once('message', async () => { await app.close(); process.send!({ stats: {} }, () => process.exit(0)); });
}

function start(mode: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  // CPU_PROF=<dir>: a V8 CPU profile of each server process (open it in Chrome's DevTools)
  const profile = process.env.CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.CPU_PROF] : [];
  const child = fork(fileURLToPath(import.meta.url), [mode], { execArgv: ['--import', 'tsx', ...profile], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${mode} exited early (${code})`)));
    child.once('message', (m: { port: number }) => resolve({ child, port: m.port }));
  });
}

function stop(child: ChildProcess): Promise<Record<string, number>> {
  return new Promise((resolve) => {
    child.once('message', (m: { stats: Record<string, number> }) => resolve(m.stats));
    child.send('stop');
  });
}

/** One autocannon run of `seconds`; `next` hands out paths, so our rounds walk the token list on. */
async function load(port: number, next: () => string, seconds: number) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'user-agent': BROWSER },
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: next() }) }],
  });
  return { reqPerSec: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, ok: result['2xx'], errors: result.errors + result.non2xx + result.timeouts };
}

/** Our writer's backlog (hits and engagement fields), from /healthz: a bare round starts only when it is written (no work of ours left running). */
async function waitUntilWritten(port: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { tracking: { buffered: number; pendingEngagements: number } };
    if (health.tracking.buffered === 0 && health.tracking.pendingEngagements === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The embedded server's pid (from its lock file), to read its CPU time; undefined for an external database. */
function databasePid(dataDir: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(lockPathFor(join(dataDir, 'ferretdb')), 'utf8')) as { serverPid?: number }).serverPid;
  } catch {
    return undefined;
  }
}

/** CPU seconds used by each process while `work` runs: where a round's CPU went (load generator, server, database). */
async function cpuDuring<T>(pids: Record<string, number | 'self' | undefined>, work: () => Promise<T>): Promise<{ result: T; cpu: Record<string, number>; wallS: number }> {
  const read = () => Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid === undefined ? 0 : cpuSeconds(pid) ?? 0]));
  const before = read();
  const t0 = performance.now();
  const result = await work();
  const wallS = (performance.now() - t0) / 1000;
  const after = read();
  return { result, wallS, cpu: Object.fromEntries(Object.keys(pids).map((k) => [k, after[k]! - before[k]!])) };
}
const share = (cpu: Record<string, number>, wallS: number) => Object.entries(cpu).map(([k, s]) => `${k} ${Math.round((100 * s) / wallS)}%`).join(', ');

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

// ---- the run ---------------------------------------------------------------------------
/**
 * The members and send records the tokens point at, shaped as the engine writes them: a first
 * open then updates real documents (the member's lastOpenedAt, the send's firstOpenedAt), which
 * costs the database far more than an update that finds nothing.
 */
async function seedSends(store: Store, count: number, sentAt: Date) {
  const sends: Array<{ sendLogId: string; memberId: string; campaign: string; step: string; program: string }> = [];
  for (let from = 0; from < count; from += 5000) {
    const members = [];
    const records: PlannedSendRecord[] = [];
    for (let n = from; n < Math.min(count, from + 5000); n++) {
      const memberId = new Types.ObjectId();
      const sendId = new Types.ObjectId();
      const step = `issue-${n % 4}`;
      members.push({
        _id: memberId, email: `member${n}@devs.example`, name: `Member ${n}`, program: 'education', status: 'active', locale: 'en',
        timezone: 'Europe/Berlin', tags: [], attributes: {}, topics: { newsletter: true, events: true, caseStudies: true },
        awardedAt: new Date(sentAt.getTime() - 200 * 86_400_000), expiresAt: new Date(sentAt.getTime() + 165 * 86_400_000), createdAt: sentAt, updatedAt: sentAt,
      });
      records.push({
        _id: sendId, key: `newsletter-education:${step}:${memberId.toHexString()}:once`, campaign: 'newsletter-education', step, occurrence: 'once',
        memberId, email: `member${n}@devs.example`, program: 'education', category: 'newsletter', topic: 'newsletter', template: 'newsletter', status: 'pending', dueAt: sentAt, messageId: `<${sendId.toHexString()}@bench.example>`, payloadId: 'bench',
      });
      sends.push({ sendLogId: sendId.toHexString(), memberId: memberId.toHexString(), campaign: 'newsletter-education', step, program: 'education' });
    }
    await store.models.Member.collection.insertMany(members);
    await recordPlannedSends(store, records);
  }
  return sends;
}

async function main(): Promise<void> {
  const dataDir = join(ROOT_DIR, '.data', `bench-track-${process.pid}`);
  const secret = randomBytes(32).toString('base64url');
  const db = await resolveDatabase({ mongodbUri: process.env.MONGODB_URI, dataDir, rootDir: ROOT_DIR, onProgress: say });
  try {
    const store = await openStore(db.uri, DB_NAME);
    await store.db.dropDatabase();
    const sentAt = new Date(Date.now() - 3600_000);
    const sends = await seedSends(store, TOKENS, sentAt);
    await store.close();
    const signer = new TokenSigner(secret);
    const paths = sends.map((s) => `/o/${signer.recipientToken({ ...s, sentAt })}`);
    say(`bench:track: ${TOKENS} distinct tokens, ${CONNECTIONS} connections, ${DURATION} s per server, database ${db.kind}`);

    // Rounds alternate (ours, bare, ours, bare, ...) so a change in the machine's load hits both
    // sides alike; figures are medians over rounds, the ratio the median of per-round ratios.
    const ours = await start('--server', { MONGODB_URI: db.uri, FLYWHEEL_DB_NAME: DB_NAME, FLYWHEEL_SECRET: secret, FLYWHEEL_DATA_DIR: dataDir });
    const bare = await start('--bare', {});
    let ourNext = 0;
    let bareNext = 0;
    const rounds: Array<{ ours: Awaited<ReturnType<typeof load>>; bare: Awaited<ReturnType<typeof load>> }> = [];
    const seconds = Math.max(1, Math.round(DURATION / ROUNDS));
    // CPU of each process per round (of a core; 200% = both cores): the client (autocannon, this
    // process), our server, the bare server and the database.
    const pids = { client: 'self' as const, ours: ours.child.pid, bare: bare.child.pid, db: databasePid(dataDir) };
    const cpuOurs: Record<string, number> = {};
    const cpuBare: Record<string, number> = {};
    const addInto = (into: Record<string, number>, cpu: Record<string, number>) => { for (const [k, v] of Object.entries(cpu)) into[k] = (into[k] ?? 0) + v; };
    let wallOurs = 0;
    let wallBare = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const o = await cpuDuring(pids, async () => { const res = await load(ours.port, () => paths[ourNext++ % paths.length]!, seconds); await waitUntilWritten(ours.port); return res; });
      const b = await cpuDuring(pids, () => load(bare.port, () => paths[bareNext++ % paths.length]!, seconds));
      addInto(cpuOurs, o.cpu); addInto(cpuBare, b.cpu); wallOurs += o.wallS; wallBare += b.wallS;
      rounds.push({ ours: o.result, bare: b.result });
      say(`round ${r + 1}/${ROUNDS}: flywheel ${o.result.reqPerSec.toFixed(0)} req/s (p50 ${o.result.p50} ms, p99 ${o.result.p99} ms; CPU ${share(o.cpu, o.wallS)} over ${o.wallS.toFixed(1)} s incl. the wait for the writer); bare ${b.result.reqPerSec.toFixed(0)} req/s (p50 ${b.result.p50} ms, p99 ${b.result.p99} ms; CPU ${share(b.cpu, b.wallS)}); ratio ${(o.result.reqPerSec / Math.max(1, b.result.reqPerSec)).toFixed(2)}`);
    }
    await stop(bare.child);
    const t0 = performance.now();
    const stats = await stop(ours.child);
    const finalFlushMs = performance.now() - t0;
    const check = await openStore(db.uri, DB_NAME);
    const persisted = (await storedHitTotals(check)).opens;
    // every token was hit: each send record has its first open (one send per member) and each member its last open
    const firstOpened = (await membersWhoEngaged(check, 'newsletter-education', 'opened', new Date(0), new Date(Date.now() + 86_400_000))).length;
    const lastOpened = await check.models.Member.countDocuments({ lastOpenedAt: { $ne: null } });
    await check.close();
    // served = hits the server answered and took (autocannon's 2xx misses requests still in flight at its end)
    const served = stats.received ?? 0;
    const tracked = { reqPerSec: median(rounds.map((r) => r.ours.reqPerSec)), p50: median(rounds.map((r) => r.ours.p50)), p99: median(rounds.map((r) => r.ours.p99)), errors: rounds.reduce((n, r) => n + r.ours.errors, 0), ok: rounds.reduce((n, r) => n + r.ours.ok, 0) };
    const raw = { reqPerSec: median(rounds.map((r) => r.bare.reqPerSec)), p50: median(rounds.map((r) => r.bare.p50)), p99: median(rounds.map((r) => r.bare.p99)) };
    const ratio = median(rounds.map((r) => (r.bare.reqPerSec > 0 ? r.ours.reqPerSec / r.bare.reqPerSec : 0)));
    say(`flywheel pixel:   ${tracked.reqPerSec.toFixed(0)} req/s, p50 ${tracked.p50} ms, p99 ${tracked.p99} ms (medians of ${ROUNDS} rounds), served ${served} (autocannon saw ${tracked.ok} 2xx), errors ${tracked.errors}; persisted ${persisted} (final flush ${finalFlushMs.toFixed(0)} ms, spilled to disk ${stats.spilled ?? 0})`);
    say(`first opens written: ${firstOpened} send records, ${lastOpened} members (of ${TOKENS})`);
    say(`bare Fastify GIF: ${raw.reqPerSec.toFixed(0)} req/s, p50 ${raw.p50} ms, p99 ${raw.p99} ms`);
    // CPU per 1,000 requests answered: what each side costs, less sensitive than req/s to what else runs on the machine
    const perK = (cpu: Record<string, number>, requests: number) => Object.fromEntries(Object.entries(cpu).filter(([, v]) => v > 0.005).map(([k, v]) => [k, Math.round((1e6 * v) / Math.max(1, requests)) / 1000]));
    const cpuPerKOurs = perK(cpuOurs, served);
    const cpuPerKBare = perK(cpuBare, rounds.reduce((n, r) => n + r.bare.ok, 0));
    say(`CPU during our rounds: ${share(cpuOurs, wallOurs)}; during bare rounds: ${share(cpuBare, wallBare)} (of one core)`);
    say(`CPU-s per 1,000 requests: ours ${JSON.stringify(cpuPerKOurs)} (the writer's catch-up included); bare ${JSON.stringify(cpuPerKBare)}`);
    const ok = tracked.reqPerSec >= 5000 && ratio >= 0.5 && tracked.p99 < 25 && persisted === served;
    say(`ratio ${ratio.toFixed(2)} of bare Fastify (median of rounds); targets >= 5,000 req/s, ratio >= 0.5, p99 < 25 ms, persisted == served: ${ok ? 'met' : 'NOT met'}`);
    process.stdout.write(`${JSON.stringify({
      bench: 'track', req_per_s: Math.round(tracked.reqPerSec), p50_ms: tracked.p50, p99_ms: tracked.p99, raw_req_per_s: Math.round(raw.reqPerSec), raw_p50_ms: raw.p50, raw_p99_ms: raw.p99,
      ratio: Number(ratio.toFixed(3)), served, persisted, first_opened_sends: firstOpened, first_opened_members: lastOpened, errors: tracked.errors, tokens: TOKENS, connections: CONNECTIONS, duration_s: seconds * ROUNDS, rounds: ROUNDS,
      cpu_s_per_1k_ours: cpuPerKOurs, cpu_s_per_1k_bare: cpuPerKBare,
      cpu_pct_ours_rounds: Object.fromEntries(Object.entries(cpuOurs).map(([k, v]) => [k, Math.round((100 * v) / wallOurs)])),
      cpu_pct_bare_rounds: Object.fromEntries(Object.entries(cpuBare).map(([k, v]) => [k, Math.round((100 * v) / wallBare)])),
      load_avg_1m: Number(loadavg()[0]!.toFixed(1)), targets_met: ok,
    })}\n`);
  } finally {
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--server')) void runServer();
else if (process.argv.includes('--bare')) void runBare();
else {
  main().then(() => process.exit(0), (err: unknown) => {
    say(`bench:track failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(2);
  });
}
