// bench:import: `flywheel members import` of 100,000 generated rows, the real CLI in its own
// process (time and peak RSS from /proc), against a baseline in the same run: the same rows,
// already parsed, written with the driver's raw insertMany in batches of 1,000 into the same
// collection with the same indexes. A second import of the same file measures the update path
// (every member exists), which is also what a resumed import does.
// Also the CPU seconds of the import process and of the embedded database server (from /proc).
// Run: npm run bench:import   (ROWS=n to change the size; CPU_PROF=dir writes a V8 CPU profile of each import;
// REIMPORT=0 skips the second import)
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { openStore, resolveDatabase, ROOT_DIR } from '../engine/store/index.ts';
import { monotonicMs } from '../engine/clock.ts';
import { lockPathFor } from '../engine/store/shared-server.ts';
import { cpuSeconds } from './proc-stats.ts';

const ROWS = Number(process.env.ROWS ?? 100_000);
const PROGRAMS = ['education', 'open-source', 'startups', 'contributor'];
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'];
const say = (line: string) => process.stderr.write(`${line}\n`);

function row(i: number): string[] {
  return [`member${i}@example.org`, `Member ${i}`, PROGRAMS[i % 4] as string, 'active', ZONES[i % 4] as string, 'DE', '2026-01-10', '2027-01-10', `t${i % 7};cohort-${i % 13}`, i % 5 ? 'yes' : 'no', String(i % 50)];
}

async function writeCsv(path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write('email,name,program,status,timezone,country,awardedAt,expiresAt,tags,newsletter,attr.seats\n');
  for (let i = 0; i < ROWS; i++) if (!out.write(`${row(i).join(',')}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

/** Peak resident set (VmHWM) of a process, read from /proc while it runs. */
function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
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

interface ImportRun { ms: number; peakMb: number; out: string; cpuS: number; dbCpuS: number | undefined }

async function cliImport(file: string, uri: string, dbName: string, dbPid: number | undefined): Promise<ImportRun> {
  const started = monotonicMs();
  const dbCpu0 = dbPid === undefined ? undefined : cpuSeconds(dbPid);
  const profile = process.env.CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.CPU_PROF] : [];
  const child = spawn(process.execPath, [...profile, join(ROOT_DIR, 'bin', 'flywheel.js'), 'members', 'import', file], {
    env: { ...process.env, MONGODB_URI: uri, FLYWHEEL_DB_NAME: dbName, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => { out += b; });
  child.stderr.on('data', (b: Buffer) => { err += b; });
  let peakMb = 0;
  let cpuS = 0;
  const timer = setInterval(() => { peakMb = Math.max(peakMb, peakRssMb(child.pid ?? 0)); cpuS = cpuSeconds(child.pid ?? 0) ?? cpuS; }, 100);
  const [code] = (await once(child, 'exit')) as [number];
  clearInterval(timer);
  if (code !== 0) throw new Error(`import exited ${code}: ${err}`);
  const dbCpu1 = dbPid === undefined ? undefined : cpuSeconds(dbPid);
  return { ms: monotonicMs() - started, peakMb, out: out.trim(), cpuS, dbCpuS: dbCpu0 === undefined || dbCpu1 === undefined ? undefined : dbCpu1 - dbCpu0 };
}

async function main(): Promise<void> {
  const dir = join(ROOT_DIR, '.data', 'bench-import');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'members.csv');
  await writeCsv(file);
  say(`bench:import  ${ROWS} rows`);
  const db = await resolveDatabase({ mongodbUri: process.env.MONGODB_URI, dataDir: join(dir, 'db'), rootDir: ROOT_DIR, onProgress: say });
  try {
    say(`database: ${db.kind}`);
    const dbPid = databasePid(join(dir, 'db'));
    // Baseline: the same rows as documents, raw insertMany, 1,000 per call.
    // Same collection and indexes as the import writes to (opening the store builds them).
    const fresh = await openStore(db.uri, 'bench_import_raw');
    await fresh.db.dropDatabase();
    await fresh.close();
    const base = await openStore(db.uri, 'bench_import_raw');
    const now = new Date();
    const rawDbCpu0 = dbPid === undefined ? undefined : cpuSeconds(dbPid);
    const t0 = monotonicMs();
    for (let i = 0; i < ROWS; i += 1000) {
      const docs = [];
      for (let j = i; j < Math.min(i + 1000, ROWS); j++) {
        const r = row(j);
        docs.push({ email: r[0], name: r[1], program: r[2], status: r[3], timezone: r[4], country: r[5], awardedAt: new Date(r[6] as string), expiresAt: new Date(r[7] as string), tags: (r[8] as string).split(';'), topics: { newsletter: r[9] === 'yes', events: true, caseStudies: true }, attributes: { seats: r[10] }, locale: 'en', renewals: [], createdAt: now, updatedAt: now });
      }
      await base.db.collection('members').insertMany(docs, { ordered: false });
    }
    const rawMs = monotonicMs() - t0;
    const rawDbCpu1 = dbPid === undefined ? undefined : cpuSeconds(dbPid);
    const rawDbCpuS = rawDbCpu0 === undefined || rawDbCpu1 === undefined ? undefined : rawDbCpu1 - rawDbCpu0;
    await base.db.dropDatabase();
    await base.close();
    say(`  raw insertMany           ${Math.round(rawMs)} ms  (${Math.round(ROWS / (rawMs / 1000))} rows/s), CPU: database ${rawDbCpuS === undefined ? '?' : rawDbCpuS.toFixed(1)} s`);

    const store = await openStore(db.uri, 'bench_import');
    await store.db.dropDatabase();
    await store.close();
    const cpu = (r: ImportRun) => `CPU: import ${r.cpuS.toFixed(1)} s, database ${r.dbCpuS === undefined ? '?' : r.dbCpuS.toFixed(1)} s`;
    const first = await cliImport(file, db.uri, 'bench_import', dbPid);
    say(`  flywheel members import  ${Math.round(first.ms)} ms  (${Math.round(ROWS / (first.ms / 1000))} rows/s), peak RSS ${Math.round(first.peakMb)} MB, ${cpu(first)}: ${first.out}`);
    const again = process.env.REIMPORT === '0' ? undefined : await cliImport(file, db.uri, 'bench_import', dbPid);
    if (again) say(`  same file again (update) ${Math.round(again.ms)} ms  (${Math.round(ROWS / (again.ms / 1000))} rows/s), peak RSS ${Math.round(again.peakMb)} MB, ${cpu(again)}: ${again.out}`);
    say(`  ratio import / raw insertMany: ${(first.ms / rawMs).toFixed(2)}`);
    process.stdout.write(`${JSON.stringify({ bench: 'import', rows: ROWS, db: db.kind, ms: Math.round(first.ms), peak_rss_mb: Math.round(first.peakMb), raw_insert_ms: Math.round(rawMs), ratio_to_raw: Number((first.ms / rawMs).toFixed(2)), reimport_ms: again ? Math.round(again.ms) : null, reimport_peak_rss_mb: again ? Math.round(again.peakMb) : null, node_cpu_s: Number(first.cpuS.toFixed(1)), db_cpu_s: first.dbCpuS === undefined ? null : Number(first.dbCpuS.toFixed(1)), raw_db_cpu_s: rawDbCpuS === undefined ? null : Number(rawDbCpuS.toFixed(1)) })}\n`);
  } finally {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(2);
});
