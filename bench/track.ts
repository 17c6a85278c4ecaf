// bench:track: how close does the open pixel come to a bare Fastify route serving the same GIF?
// autocannon on loopback, 10 connections, 20 s each (in ROUNDS alternating rounds), against (1) our server (token verified and
// sealed open, machine-open rules, hit buffered, bulk writer flushing to the embedded database
// while under load) with 20,000 distinct real tokens, then (2) a bare Fastify route returning the
// same GIF. Each server runs in its own child process (this file with --server / --bare) so it
// never shares an event loop with autocannon. After our run the server is stopped (final flush)
// and the open events in the database are counted: persisted must equal served.
// Run: npm run bench:track   (DURATION=s, ROUNDS=n, TOKENS=n, CONNECTIONS=n to change; CPU_PROF=dir profiles the servers)
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { Types } from 'mongoose';
import { loadConfig } from '../engine/config.ts';
import { createEngine } from '../engine/main.ts';
import { openStore, resolveDatabase, ROOT_DIR } from '../engine/store/index.ts';
import { TokenSigner } from '../engine/tracking/tokens.ts';
import { PIXEL } from '../engine/http/tracking-routes.ts';

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

/** Our writer's backlog, from /healthz: a bare round starts only when it is written (no work of ours left running). */
async function waitUntilWritten(port: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { tracking: { buffered: number } };
    if (health.tracking.buffered === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

// ---- the run ---------------------------------------------------------------------------
async function main(): Promise<void> {
  const dataDir = join(ROOT_DIR, '.data', `bench-track-${process.pid}`);
  const secret = randomBytes(32).toString('base64url');
  const db = await resolveDatabase({ mongodbUri: process.env.MONGODB_URI, dataDir, rootDir: ROOT_DIR, onProgress: say });
  try {
    const store = await openStore(db.uri, DB_NAME);
    await store.db.dropDatabase();
    await store.close();
    const signer = new TokenSigner(secret);
    const sentAt = new Date(Date.now() - 3600_000);
    const paths = Array.from({ length: TOKENS }, (_, n) => `/o/${signer.recipientToken({
      sendLogId: new Types.ObjectId().toHexString(), memberId: new Types.ObjectId().toHexString(),
      campaign: 'newsletter-education', step: `issue-${n % 4}`, program: 'education', sentAt,
    })}`);
    say(`bench:track: ${TOKENS} distinct tokens, ${CONNECTIONS} connections, ${DURATION} s per server, database ${db.kind}`);

    // Rounds alternate (ours, bare, ours, bare, ...) so a change in the machine's load hits both
    // sides alike; figures are medians over rounds, the ratio the median of per-round ratios.
    const ours = await start('--server', { MONGODB_URI: db.uri, FLYWHEEL_DB_NAME: DB_NAME, FLYWHEEL_SECRET: secret, FLYWHEEL_DATA_DIR: dataDir });
    const bare = await start('--bare', {});
    let ourNext = 0;
    let bareNext = 0;
    const rounds: Array<{ ours: Awaited<ReturnType<typeof load>>; bare: Awaited<ReturnType<typeof load>> }> = [];
    const seconds = Math.max(1, Math.round(DURATION / ROUNDS));
    for (let r = 0; r < ROUNDS; r++) {
      const o = await load(ours.port, () => paths[ourNext++ % paths.length]!, seconds);
      await waitUntilWritten(ours.port);
      const b = await load(bare.port, () => paths[bareNext++ % paths.length]!, seconds);
      rounds.push({ ours: o, bare: b });
      say(`round ${r + 1}/${ROUNDS}: flywheel ${o.reqPerSec.toFixed(0)} req/s (p50 ${o.p50} ms, p99 ${o.p99} ms); bare ${b.reqPerSec.toFixed(0)} req/s (p50 ${b.p50} ms, p99 ${b.p99} ms); ratio ${(o.reqPerSec / Math.max(1, b.reqPerSec)).toFixed(2)}`);
    }
    await stop(bare.child);
    const t0 = performance.now();
    const stats = await stop(ours.child);
    const finalFlushMs = performance.now() - t0;
    const check = await openStore(db.uri, DB_NAME);
    const persisted = await check.db.collection('events').countDocuments({ type: 'open' });
    await check.close();
    // served = hits the server answered and took (autocannon's 2xx misses requests still in flight at its end)
    const served = stats.received ?? 0;
    const tracked = { reqPerSec: median(rounds.map((r) => r.ours.reqPerSec)), p50: median(rounds.map((r) => r.ours.p50)), p99: median(rounds.map((r) => r.ours.p99)), errors: rounds.reduce((n, r) => n + r.ours.errors, 0), ok: rounds.reduce((n, r) => n + r.ours.ok, 0) };
    const raw = { reqPerSec: median(rounds.map((r) => r.bare.reqPerSec)), p50: median(rounds.map((r) => r.bare.p50)), p99: median(rounds.map((r) => r.bare.p99)) };
    const ratio = median(rounds.map((r) => (r.bare.reqPerSec > 0 ? r.ours.reqPerSec / r.bare.reqPerSec : 0)));
    say(`flywheel pixel:   ${tracked.reqPerSec.toFixed(0)} req/s, p50 ${tracked.p50} ms, p99 ${tracked.p99} ms (medians of ${ROUNDS} rounds), served ${served} (autocannon saw ${tracked.ok} 2xx), errors ${tracked.errors}; persisted ${persisted} (final flush ${finalFlushMs.toFixed(0)} ms, spilled to disk ${stats.spilled ?? 0})`);
    say(`bare Fastify GIF: ${raw.reqPerSec.toFixed(0)} req/s, p50 ${raw.p50} ms, p99 ${raw.p99} ms`);
    const ok = tracked.reqPerSec >= 5000 && ratio >= 0.5 && tracked.p99 < 25 && persisted === served;
    say(`ratio ${ratio.toFixed(2)} of bare Fastify (median of rounds); targets >= 5,000 req/s, ratio >= 0.5, p99 < 25 ms, persisted == served: ${ok ? 'met' : 'NOT met'}`);
    process.stdout.write(`${JSON.stringify({
      bench: 'track', req_per_s: Math.round(tracked.reqPerSec), p50_ms: tracked.p50, p99_ms: tracked.p99, raw_req_per_s: Math.round(raw.reqPerSec), raw_p50_ms: raw.p50, raw_p99_ms: raw.p99,
      ratio: Number(ratio.toFixed(3)), served, persisted, errors: tracked.errors, tokens: TOKENS, connections: CONNECTIONS, duration_s: seconds * ROUNDS, rounds: ROUNDS,
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
