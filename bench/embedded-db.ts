// bench:db: which storage should the embedded FerretDB use, SQLite or PostgreSQL? The same
// workload on both, one after the other in the same run, each through the real commands:
//   import   `flywheel members import` of IMPORT_ROWS generated rows, then the same file again
//   tick     the scheduler's tick over the repository campaigns with TICK_MEMBERS members:
//            the first tick (plans what the new members are due) and a second one (steady state)
//   send     bench:send's engine run (PROFILE_ENGINE=1: no baselines) with SEND_MEMBERS members
//   report   `reportFor` over the rollups the send wrote: median of 5 reads
// Wall time per phase, and CPU seconds of the database processes (FerretDB, plus PostgreSQL's
// postmaster and backends) from /proc. SQLite runs our FerretDB build as the resolver starts it;
// PostgreSQL is a private cluster (bench/private-postgres.ts) with FerretDB's postgresql handler.
// Run: npm run bench:db   (IMPORT_ROWS, TICK_MEMBERS, SEND_MEMBERS, BACKENDS=sqlite,postgresql)
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { findFerretDb, openStore, resolveDatabase, ROOT_DIR, type ResolvedDatabase } from '../engine/store/index.ts';
import { freePort } from '../engine/store/embedded.ts';
import { monotonicMs } from '../engine/clock.ts';
import { startPrivatePostgres } from './private-postgres.ts';

const IMPORT_ROWS = Number(process.env.IMPORT_ROWS ?? 100_000);
const TICK_MEMBERS = Number(process.env.TICK_MEMBERS ?? 20_000);
const SEND_MEMBERS = Number(process.env.SEND_MEMBERS ?? 5_000);
const BACKENDS = (process.env.BACKENDS ?? 'sqlite,postgresql').split(',');
const say = (line: string) => process.stderr.write(`${line}\n`);
const SELF = fileURLToPath(import.meta.url);

// ---- child modes: one tick pair, one report read ----------------------------------------
async function tickMode(): Promise<void> {
  const { loadConfig } = await import('../engine/config.ts');
  const { createEngine } = await import('../engine/main.ts');
  const engine = await createEngine(loadConfig({ ...process.env, FLYWHEEL_TRANSPORT: 'outbox' }));
  try {
    const times: number[] = [];
    let created = 0;
    for (let i = 0; i < 2; i++) {
      const t0 = monotonicMs();
      const reports = await engine.scheduler.tick();
      times.push(monotonicMs() - t0);
      if (i === 0) created = reports.reduce((n, r) => n + r.created, 0);
    }
    process.stdout.write(`${JSON.stringify({ first_ms: Math.round(times[0]!), second_ms: Math.round(times[1]!), created })}\n`);
  } finally {
    await engine.close();
  }
}

async function reportMode(): Promise<void> {
  const { loadConfig } = await import('../engine/config.ts');
  const { loadProjectCampaigns } = await import('../engine/main.ts');
  const { calendarFromConfig } = await import('../engine/calendar/config.ts');
  const { reportFor } = await import('../engine/reports/index.ts');
  const { systemClock } = await import('../engine/clock.ts');
  const config = loadConfig();
  const store = await openStore(process.env.MONGODB_URI!, process.env.FLYWHEEL_DB_NAME!);
  try {
    const campaigns = await loadProjectCampaigns(config);
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 5; i++) {
      const t0 = monotonicMs();
      const report = await reportFor(store, campaigns, calendarFromConfig(config), systemClock.now(), {});
      times.push(monotonicMs() - t0);
      bytes = JSON.stringify(report).length;
    }
    times.sort((a, b) => a - b);
    process.stdout.write(`${JSON.stringify({ median_ms: Math.round(times[2]!), report_bytes: bytes })}\n`);
  } finally {
    await store.close();
  }
}

// ---- the backends -----------------------------------------------------------------------
interface Backend { name: string; uri: string; dbPids(): number[]; stop(): Promise<void> }

async function sqliteBackend(dir: string): Promise<Backend> {
  const db: ResolvedDatabase = await resolveDatabase({ dataDir: dir, rootDir: ROOT_DIR, onProgress: say });
  const lock = JSON.parse(readFileSync(join(dir, 'ferretdb', 'server.lock'), 'utf8')) as { serverPid: number };
  return { name: 'sqlite', uri: db.uri, dbPids: () => [lock.serverPid], stop: () => db.stop() };
}

async function postgresBackend(dir: string): Promise<Backend> {
  // The same durability as our SQLite settings (WAL, synchronous=NORMAL: a crashed process loses
  // nothing, a power cut may lose the last commits): no wait for the WAL flush at commit.
  const pg = await startPrivatePostgres(join(dir, 'pg'), { synchronous_commit: 'off' });
  const bin = findFerretDb(ROOT_DIR);
  if (!bin) throw new Error('no FerretDB build in .cache/bin (run npm test once)');
  const port = await freePort();
  const ferret = spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', bin, '--handler=postgresql', `--postgresql-url=${pg.url}`,
    `--state-dir=${dir}`, `--listen-addr=127.0.0.1:${port}`, `--debug-addr=127.0.0.1:${await freePort()}`, '--telemetry=disable', '--log-level=error'], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    try {
      const s = await openStore(`mongodb://127.0.0.1:${port}`, 'bench_ping');
      await s.close();
      break;
    } catch (e) {
      if (i > 100 || ferret.exitCode !== null) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    name: 'postgresql',
    uri: `mongodb://127.0.0.1:${port}`,
    dbPids: () => [ferret.pid!, pg.process.pid!],
    async stop() {
      ferret.kill('SIGTERM');
      if (ferret.exitCode === null) await once(ferret, 'exit');
      await pg.stop();
    },
  };
}

/** CPU seconds of these processes and their children (live ones, and the reaped ones they counted). */
function cpuSeconds(pids: number[]): number {
  const tick = 100; // USER_HZ
  let total = 0;
  const seen = new Set<number>();
  const add = (pid: number, withReaped: boolean) => {
    if (seen.has(pid)) return;
    seen.add(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
      total += Number(f[11]) + Number(f[12]) + (withReaped ? Number(f[13]) + Number(f[14]) : 0);
    } catch { /* exited */ }
  };
  const children = (pid: number) => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => {
    try { return readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ')[1] === String(pid); } catch { return false; }
  });
  for (const pid of pids) {
    add(pid, true);
    for (const c of children(pid)) add(c, false);
  }
  return total / tick;
}

// ---- running the real commands against one backend --------------------------------------
function run(args: string[], env: Record<string, string>): Promise<{ ms: number; peakMb: number; last: string }> {
  const started = monotonicMs();
  const child = spawn(process.execPath, args, { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => { out += b; });
  child.stderr.on('data', (b: Buffer) => { err = (err + b.toString()).slice(-8000); });
  let peakMb = 0;
  const timer = setInterval(() => {
    try { peakMb = Math.max(peakMb, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024); } catch { /* gone */ }
  }, 200);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      clearInterval(timer);
      if (code !== 0) reject(new Error(`${args.slice(-3).join(' ')} exited ${code}: ${err}`));
      else resolve({ ms: monotonicMs() - started, peakMb, last: out.trim().split('\n').pop() ?? '' });
    });
  });
}

const flywheel = (...args: string[]) => [join(ROOT_DIR, 'bin', 'flywheel.js'), ...args];
const tsx = (...args: string[]) => ['--import', 'tsx', ...args];

async function writeCsv(path: string, rows: number): Promise<void> {
  const programs = ['education', 'open-source', 'startups', 'contributor'];
  const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'];
  const out = createWriteStream(path);
  out.write('email,name,program,status,timezone,country,awardedAt,expiresAt,tags,newsletter,attr.seats\n');
  for (let i = 0; i < rows; i++) {
    const line = `member${i}@example.org,Member ${i},${programs[i % 4]},active,${zones[i % 4]},DE,2026-01-10,2027-01-10,t${i % 7};cohort-${i % 13},${i % 5 ? 'yes' : 'no'},${i % 50}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function measure(backend: Backend, dir: string, files: { imp: string; tick: string }): Promise<Record<string, number>> {
  const env = (db: string) => ({ MONGODB_URI: backend.uri, FLYWHEEL_DB_NAME: db, FLYWHEEL_DATA_DIR: join(dir, 'flywheel') });
  const r: Record<string, number> = {};
  const phase = async (name: string, fn: () => Promise<void>) => {
    const cpu0 = cpuSeconds(backend.dbPids());
    await fn();
    r[`${name}_db_cpu_s`] = Math.round((cpuSeconds(backend.dbPids()) - cpu0) * 10) / 10;
  };
  await phase('import', async () => {
    const first = await run(flywheel('members', 'import', files.imp), env('bench_db_import'));
    r.import_ms = Math.round(first.ms);
    r.import_peak_rss_mb = Math.round(first.peakMb);
    say(`  [${backend.name}] import ${IMPORT_ROWS} rows: ${r.import_ms} ms, peak RSS ${r.import_peak_rss_mb} MB (${first.last})`);
  });
  await phase('reimport', async () => {
    const again = await run(flywheel('members', 'import', files.imp), env('bench_db_import'));
    r.reimport_ms = Math.round(again.ms);
    say(`  [${backend.name}] same file again: ${r.reimport_ms} ms (${again.last})`);
  });
  await run(flywheel('members', 'import', files.tick), env('bench_db_tick'));
  await phase('tick', async () => {
    const t = JSON.parse((await run(tsx(SELF, '--tick'), env('bench_db_tick'))).last) as { first_ms: number; second_ms: number; created: number };
    r.tick_first_ms = t.first_ms;
    r.tick_steady_ms = t.second_ms;
    say(`  [${backend.name}] tick over ${TICK_MEMBERS} members: first ${t.first_ms} ms (${t.created} sends planned), steady state ${t.second_ms} ms`);
  });
  await phase('send', async () => {
    const s = await run(tsx(join(ROOT_DIR, 'bench', 'send.ts')), { ...env('bench_send'), MEMBERS: String(SEND_MEMBERS), PROFILE_ENGINE: '1' });
    r.send_msgs_per_s = (JSON.parse(s.last) as { msgs_per_s: number }).msgs_per_s;
    say(`  [${backend.name}] send ${SEND_MEMBERS}: ${r.send_msgs_per_s} msg/s`);
  });
  await phase('report', async () => {
    const rep = JSON.parse((await run(tsx(SELF, '--report'), env('bench_send'))).last) as { median_ms: number };
    r.report_ms = rep.median_ms;
    say(`  [${backend.name}] report read: median ${r.report_ms} ms`);
  });
  return r;
}

async function main(): Promise<void> {
  const dir = join(ROOT_DIR, '.data', 'bench-db');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = { imp: join(dir, 'import.csv'), tick: join(dir, 'tick.csv') };
  await writeCsv(files.imp, IMPORT_ROWS);
  await writeCsv(files.tick, TICK_MEMBERS);
  say(`bench:db  import ${IMPORT_ROWS} rows, tick over ${TICK_MEMBERS} members, send ${SEND_MEMBERS}; backends ${BACKENDS.join(', ')}`);
  const results: Record<string, Record<string, number>> = {};
  try {
    for (const name of BACKENDS) {
      const backendDir = join(dir, name);
      const t0 = monotonicMs();
      const backend = name === 'postgresql' ? await postgresBackend(backendDir) : await sqliteBackend(backendDir);
      say(`${name}: started in ${Math.round(monotonicMs() - t0)} ms`);
      try {
        results[name] = { start_ms: Math.round(monotonicMs() - t0), ...(await measure(backend, backendDir, files)) };
      } finally {
        await backend.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const [a, b] = [results.sqlite, results.postgresql];
  if (a && b) {
    for (const k of Object.keys(a)) say(`  ${k.padEnd(22)} sqlite ${String(a[k]).padStart(8)}   postgresql ${String(b[k]).padStart(8)}`);
  }
  process.stdout.write(`${JSON.stringify({ bench: 'db', import_rows: IMPORT_ROWS, tick_members: TICK_MEMBERS, send_members: SEND_MEMBERS, ...results })}\n`);
}

if (process.argv.includes('--tick')) void tickMode().catch((e: unknown) => { say(String((e as Error).stack ?? e)); process.exit(2); });
else if (process.argv.includes('--report')) void reportMode().catch((e: unknown) => { say(String((e as Error).stack ?? e)); process.exit(2); });
else main().catch((e: unknown) => { say(`bench:db failed: ${(e as Error).stack ?? String(e)}`); process.exit(2); });
