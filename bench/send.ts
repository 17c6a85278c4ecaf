// bench:send: how close does the whole send path come to what the SMTP client alone can do?
// 20,000 generated members (and 100,000), one newsletter broadcast, end to end as `flywheel send`
// runs it (planning writes send-log records and batches a batch at a time while Agenda already
// runs the first ones -> render -> SMTP -> result writes) against a local sink that discards, and,
// in the same run, raw nodemailer with the same pool size and messages in flight to the same sink.
// The sink runs in a child process (this file with --sink) so it never competes with either side
// for this process's event loop. Run: npm run bench:send   (MEMBERS=n to change the size)
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Types } from 'mongoose';
import { connect, type Socket } from 'node:net';
import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { parseConnectionUrl } from 'nodemailer/lib/shared/index.js';
import { SMTPServer } from 'smtp-server';
import pLimit from 'p-limit';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../engine/config.ts';
import { createRendering } from '../engine/main.ts';
import { openStore, resolveDatabase, ROOT_DIR } from '../engine/store/index.ts';
import { lockPathFor } from '../engine/store/shared-server.ts';
import { systemClock } from '../engine/clock.ts';
import { SmtpTransport } from '../engine/delivery/smtp.ts';
import { newsletterIssue } from './send-fixture.ts';
import { cpuSeconds } from './proc-stats.ts';
import type { EngineRunReport, EngineRunRequest } from './send-engine.ts';

const MEMBERS = Number(process.env.MEMBERS ?? 20_000);
/** the second size (the issue's 100,000 members); LARGE=0 skips it */
const LARGE = Number(process.env.LARGE ?? 100_000);
const POOL_SIZE = 5;
/** what createEngine uses per batch for this pool size: max(4, pool x 4) */
const IN_FLIGHT = Math.max(4, POOL_SIZE * 4);
const DB_NAME = 'bench_send';

const say = (line: string) => process.stderr.write(`${line}\n`);

// ---- the sink (child process) ----------------------------------------------------------
async function runSink(): Promise<void> {
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, cb) {
      stream.on('data', () => {});
      stream.on('end', () => { received++; cb(null, `OK: queued as B${received}`); });
    },
  });
  server.listen(0, '127.0.0.1', () => {
    const addr = server.server.address();
    process.send!({ port: typeof addr === 'object' && addr ? addr.port : 0 });
  });
  process.on('message', (m: { count?: boolean }) => { if (m.count) process.send!({ received }); });
  process.on('disconnect', () => server.close(() => process.exit(0)));
}

function startSink(): Promise<{ child: ChildProcess; url: string; received(): Promise<number> }> {
  const child = fork(fileURLToPath(import.meta.url), ['--sink'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (m: { port: number }) => resolve({
      child,
      url: `smtp://127.0.0.1:${m.port}`,
      received: () => new Promise((res) => {
        child.once('message', (r: { received: number }) => res(r.received));
        child.send({ count: true });
      }),
    }));
  });
}

// ---- one engine run, in its own process ---------------------------------------------------
function engineRun(req: EngineRunRequest, received: () => Promise<number>): Promise<EngineRunReport> {
  // CPU_PROF=dir writes a V8 CPU profile of each engine run there
  const prof = process.env.CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.CPU_PROF] : [];
  const child = fork(fileURLToPath(new URL('./send-engine.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx', ...prof, ...(process.env.ENGINE_NODE_FLAGS ? process.env.ENGINE_NODE_FLAGS.split(' ') : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // CPU_TRACE=1 prints, every second, messages the sink received and the CPU seconds the engine and the database used in that second
  const trace = process.env.CPU_TRACE === '1' ? cpuTrace(child.pid!, req.dbPid, received) : undefined;
  return new Promise<EngineRunReport>((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (m: { report?: EngineRunReport; error?: string }) => (m.report ? resolve(m.report) : reject(new Error(m.error))));
    child.once('exit', (code) => reject(new Error(`engine run exited with code ${code}`)));
    child.send(req);
  }).finally(() => clearInterval(trace));
}

function cpuTrace(enginePid: number, dbPid: number | undefined, received: () => Promise<number>): NodeJS.Timeout {
  const t0 = performance.now();
  let last = { node: cpuSeconds(enginePid) ?? 0, db: dbPid ? cpuSeconds(dbPid) ?? 0 : 0, got: -1 };
  return setInterval(() => {
    void received().then((got) => {
      const now = { node: cpuSeconds(enginePid) ?? last.node, db: dbPid ? cpuSeconds(dbPid) ?? 0 : 0, got };
      if (last.got >= 0) say(`cpu trace ${((performance.now() - t0) / 1000).toFixed(0)} s: ${got - last.got} received, node ${(now.node - last.node).toFixed(2)} s, database ${(now.db - last.db).toFixed(2)} s`);
      last = now;
    });
  }, 1000);
}

/** The embedded server's pid (from its lock file), to read its CPU time; undefined for an external database. */
function databasePid(dataDir: string): number | undefined {
  try {
    const lock = JSON.parse(readFileSync(lockPathFor(join(dataDir, 'ferretdb')), 'utf8')) as { serverPid?: number };
    return lock.serverPid;
  } catch {
    return undefined;
  }
}

// ---- the benchmark ----------------------------------------------------------------------
async function main(): Promise<void> {
  const dataDir = join(ROOT_DIR, '.data', 'bench');
  say(`bench:send  ${MEMBERS} members${LARGE ? ` and ${LARGE}` : ''}, SMTP pool ${POOL_SIZE}, ${IN_FLIGHT} messages in flight per batch`);
  const db = await resolveDatabase({ mongodbUri: process.env.MONGODB_URI, dataDir, rootDir: ROOT_DIR, onProgress: say });
  const sink = await startSink();
  const dbPid = db.kind === 'ferretdb' ? databasePid(dataDir) : undefined;
  try {
    // Baselines first, with a message the size of a real rendered one.
    const { renderer } = createRendering(loadConfig({ ...process.env, LOG_LEVEL: 'warn' }));
    const sample = (await renderer.prepare('newsletter', { data: newsletterIssue(), subject: 'Issue 42' }, 'en'))
      .fill({ id: new Types.ObjectId().toHexString(), email: 'a@devs.example', name: 'A', firstName: 'A', program: 'open-source', locale: 'en', timezone: 'UTC', attributes: {} }, { sendLogId: new Types.ObjectId().toHexString(), campaign: 'bench', step: 'issue', sentAt: systemClock.now() });
    say(`message: ${Buffer.byteLength(sample.html)} bytes of HTML, ${Buffer.byteLength(sample.text)} bytes of text`);
    // PROFILE_ENGINE=1 skips both baselines (for `node --cpu-prof` runs of the engine alone).
    const skipBaselines = process.env.PROFILE_ENGINE === '1';
    const raw = skipBaselines ? { ms: 1 } : await rawNodemailer(sink.url, MEMBERS, sample);
    say(`raw nodemailer:   ${MEMBERS} messages in ${(raw.ms / 1000).toFixed(2)} s = ${rate(MEMBERS, raw.ms)} msg/s`);
    // Second baseline: our SMTP transport alone (pre-encoded bodies), no database, planning or rendering.
    const alone = skipBaselines ? { ms: 1, cpuS: 0, sinkCpuS: 0 } : await transportAlone(sink.url, MEMBERS, sample, sink.child.pid!);
    say(`SMTP transport alone: ${MEMBERS} messages in ${(alone.ms / 1000).toFixed(2)} s = ${rate(MEMBERS, alone.ms)} msg/s; CPU ${alone.cpuS.toFixed(1)} s client + ${alone.sinkCpuS.toFixed(1)} s sink`);

    // The engine as configured at each size, then (HEAP_BASELINE=0 skips it) at the first size again
    // with V8's default heap growth, to show what bounding it (engine/memory.ts) costs and saves.
    // The first size runs SMALL_RUNS times (default 3), spread over the bench: its figures are the
    // median run's, since this machine's speed moves by 20% from one run to the next.
    type Role = 'small' | 'large' | 'v8-default';
    const smallRuns = Math.max(1, Number(process.env.SMALL_RUNS ?? 3));
    const runs: Array<{ role: Role; members: number; heapGrowthPercent?: number }> = [{ role: 'small', members: MEMBERS }];
    if (LARGE) runs.push({ role: 'large', members: LARGE });
    if (process.env.HEAP_BASELINE !== '0') runs.push({ role: 'v8-default', members: MEMBERS, heapGrowthPercent: 0 });
    for (let i = 1; i < smallRuns; i++) runs.push({ role: 'small', members: MEMBERS });
    const reports: Array<EngineRunReport & { role: Role }> = [];
    for (const { role, members, heapGrowthPercent } of runs) {
      const store = await openStore(db.uri, DB_NAME);
      await store.db.dropDatabase();
      await store.close();
      const seeded = await openStore(db.uri, DB_NAME);
      await insertMembers(seeded, members);
      await seeded.close();
      const before = await sink.received();
      const r = await engineRun({ uri: db.uri, dbName: DB_NAME, smtpUrl: sink.url, poolSize: POOL_SIZE, members, dbPid, heapGrowthPercent }, sink.received);
      const delivered = (await sink.received()) - before;
      const cpu = r.nodeCpuS + (r.dbCpuS ?? 0);
      say(`engine end to end${heapGrowthPercent === 0 ? " with V8's default heap growth" : ''}, ${members} members: first batch queued after ${(r.firstQueuedMs / 1000).toFixed(2)} s, planning done after ${(r.planMs / 1000).toFixed(2)} s (sending meanwhile), ` +
        `${r.sent} sent and recorded, ${delivered} received by the sink, ` +
        `in ${(r.ms / 1000).toFixed(2)} s = ${rate(members, r.ms)} msg/s; CPU ${r.nodeCpuS.toFixed(1)} s Node + ${(r.dbCpuS ?? 0).toFixed(1)} s database = ` +
        `${(cpu / members * 1000).toFixed(2)} CPU-s per 1,000; peak RSS ${r.peakRssMb} MB`);
      if (r.sent !== members || delivered !== members) throw new Error(`expected ${members} sent and received, got ${r.sent} recorded and ${delivered} received`);
      reports.push({ ...r, role });
    }

    const perS = (r: EngineRunReport) => r.members / (r.ms / 1000);
    const cpuPer1k = (r: EngineRunReport) => (r.nodeCpuS + (r.dbCpuS ?? 0)) / r.members * 1000;
    const smalls = reports.filter((r) => r.role === 'small').sort((a, b) => cpuPer1k(a) - cpuPer1k(b));
    const small = smalls[Math.floor((smalls.length - 1) / 2)]!;
    const large = reports.find((r) => r.role === 'large');
    const v8Default = reports.find((r) => r.role === 'v8-default');
    const rawPerS = MEMBERS / (raw.ms / 1000);
    const alonePerS = MEMBERS / (alone.ms / 1000);
    // What the ratio target leaves the engine: at 0.8 of the transport's rate, the machine's cores
    // must carry the engine (Node and database) and the sink, whose CPU per message is fixed.
    const cores = availableParallelism();
    const budgetPer1k = ((cores / (0.8 * alonePerS)) - alone.sinkCpuS / MEMBERS) * 1000;
    const summary = {
      bench: 'send', members: MEMBERS,
      msgs_per_s: round(perS(small)), raw_msgs_per_s: round(rawPerS), ratio: Number((perS(small) / rawPerS).toFixed(3)),
      transport_msgs_per_s: round(alonePerS), ratio_vs_transport: Number((perS(small) / alonePerS).toFixed(3)),
      cpu_s_per_1k: Number(cpuPer1k(small).toFixed(2)), node_cpu_s: round(small.nodeCpuS), db_cpu_s: round(small.dbCpuS ?? 0),
      peak_rss_mb: Math.max(...smalls.map((r) => r.peakRssMb ?? 0)), first_batch_s: round(small.firstQueuedMs / 1000),
      runs: smalls.length, cpu_s_per_1k_runs: smalls.map((r) => Number(cpuPer1k(r).toFixed(2))), msgs_per_s_runs: smalls.map((r) => round(perS(r))),
      ...(large ? {
        members_large: large.members, msgs_per_s_100k: round(perS(large)), ratio_vs_transport_100k: Number((perS(large) / alonePerS).toFixed(3)),
        cpu_s_per_1k_100k: Number(cpuPer1k(large).toFixed(2)), peak_rss_mb_100k: large.peakRssMb,
        first_batch_s_100k: round(large.firstQueuedMs / 1000),
        rss_ratio_100k_20k: large.peakRssMb ? Number((large.peakRssMb / Math.max(...smalls.map((r) => r.peakRssMb ?? 0))).toFixed(2)) : undefined,
      } : {}),
      ...(v8Default ? { peak_rss_mb_v8_default_heap: v8Default.peakRssMb, cpu_s_per_1k_v8_default_heap: Number(cpuPer1k(v8Default).toFixed(2)), msgs_per_s_v8_default_heap: round(perS(v8Default)) } : {}),
      cores, transport_cpu_s_per_1k: Number((alone.cpuS / MEMBERS * 1000).toFixed(2)), sink_cpu_s_per_1k: Number((alone.sinkCpuS / MEMBERS * 1000).toFixed(2)),
      engine_cpu_s_per_1k_at_ratio_0_8: Number(budgetPer1k.toFixed(2)),
    };
    say(`transport alone: ${(alone.cpuS / MEMBERS * 1000).toFixed(2)} CPU-s per 1,000 (client) + ${(alone.sinkCpuS / MEMBERS * 1000).toFixed(2)} (sink); ` +
      `on ${cores} cores a 0.8 ratio leaves the engine (Node + database) at most ${budgetPer1k.toFixed(2)} CPU-s per 1,000`);
    if (smalls.length > 1) say(`${MEMBERS} members, ${smalls.length} runs: CPU-s per 1,000 ${smalls.map((r) => cpuPer1k(r).toFixed(2)).join(', ')}; the median run's figures are reported`);
    say(`engine/raw nodemailer ${summary.ratio}; engine/transport alone ${summary.ratio_vs_transport} (target >= 0.8); ${summary.cpu_s_per_1k} CPU-s per 1,000 (target <= 1.5)`);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    sink.child.disconnect();
    await db.stop();
  }
}

async function rawNodemailer(url: string, count: number, message: { subject: string; html: string; text: string }): Promise<{ ms: number }> {
  // The same connection setup as the SMTP transport: pool of POOL_SIZE, TCP_NODELAY sockets.
  const { host, port } = parseConnectionUrl(url);
  const mailer = nodemailer.createTransport({
    host, port, pool: true, maxConnections: POOL_SIZE,
    getSocket: (_o: unknown, cb: (err: Error | null, s?: { connection: Socket }) => void) => {
      const socket = connect({ host: host ?? '127.0.0.1', port: port ?? 25 }).setNoDelay(true);
      socket.once('error', (e) => cb(e)).once('connect', () => cb(null, { connection: socket }));
    },
  } as SMTPPool.Options);
  const limit = pLimit(IN_FLIGHT);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: count }, (_, i) => limit(() => mailer.sendMail({
    from: 'devrel@flywheel.example', to: `raw${i}@devs.example`, subject: message.subject, html: message.html, text: message.text,
  }))));
  const ms = performance.now() - t0;
  mailer.close();
  return { ms };
}

/** The engine's SMTP transport on its own: same pool, same messages in flight, same headers as the engine sends. */
async function transportAlone(url: string, count: number, message: { subject: string; html: string; text: string }, sinkPid: number): Promise<{ ms: number; cpuS: number; sinkCpuS: number }> {
  const transport = new SmtpTransport({ url, poolSize: POOL_SIZE });
  const limit = pLimit(IN_FLIGHT);
  const cpu0 = cpuSeconds('self')!;
  const sink0 = cpuSeconds(sinkPid)!;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: count }, (_, i) => limit(() => transport.send({
    messageId: `${i}.alone@flywheel.example`, from: { email: 'devrel@flywheel.example' }, to: { email: `alone${i}@devs.example` },
    subject: message.subject, html: message.html, text: message.text,
    headers: { 'List-Unsubscribe': '<https://flywheel.example/u/x>, <mailto:unsubscribe@flywheel.example>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click', 'X-Flywheel-Campaign': 'bench', 'X-Flywheel-Step': 'send' },
    tags: { sendLogId: String(i), campaign: 'bench', step: 'send' },
  }))));
  const ms = performance.now() - t0;
  const cpuS = cpuSeconds('self')! - cpu0;
  const sinkCpuS = cpuSeconds(sinkPid)! - sink0;
  await transport.close();
  return { ms, cpuS, sinkCpuS };
}

async function insertMembers(store: import('../engine/store/index.ts').Store, count: number): Promise<void> {
  const now = systemClock.now();
  for (let i = 0; i < count; i += 5000) {
    await store.models.Member.collection.insertMany(Array.from({ length: Math.min(5000, count - i) }, (_, j) => ({
      _id: new Types.ObjectId(), email: `member${i + j}@devs.example`, name: `Member ${i + j}`, program: 'open-source', status: 'active',
      locale: 'en', timezone: 'UTC', tags: [], attributes: {}, renewals: [], topics: { newsletter: true, events: true, caseStudies: true }, createdAt: now, updatedAt: now,
    })));
  }
}

const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));
const round = (x: number) => Math.round(x * 10) / 10;

if (process.argv.includes('--sink')) {
  void runSink();
} else {
  main().then(() => process.exit(0), (err: unknown) => {
    say(`bench:send failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  });
}
