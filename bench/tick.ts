// bench:tick — the campaign tick with the repository's campaigns at 20,000 and 100,000 members:
// a steady-state tick with nothing due, and one with 1% of members due, planned from the due
// index; compared in the same run with the full replan (every campaign's whole audience, history
// and content on every tick: what a tick did before the index). Wall time, this process's CPU,
// and the database process's CPU (from /proc). Run: npm run bench:tick
//   TICK_SIZES=20000,100000 (default)   FULL_BASELINE_MAX=20000 (largest size the slow full replan runs at)
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Types } from 'mongoose';
import { loadConfig } from '../engine/config.ts';
import { ManualClock } from '../engine/clock.ts';
import { createEngine } from '../engine/main.ts';
import { loadCampaigns } from '../engine/campaigns/index.ts';
import { openStore, resolveDatabase, ROOT_DIR, type Store } from '../engine/store/index.ts';
import { planCampaign } from '../engine/scheduler/plan.ts';

const SIZES = (process.env.TICK_SIZES ?? '20000,100000').split(',').map(Number);
const FULL_BASELINE_MAX = Number(process.env.FULL_BASELINE_MAX ?? 20_000);
const DB_NAME = 'flywheel_bench_tick';
const DAY = 86_400_000;
// a Wednesday in mid-month at 03:10 UTC: no newsletter issue, no broadcast, no event step due
const T0 = Date.parse('2026-12-16T03:10:00Z');
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'America/Los_Angeles', 'Asia/Kolkata'];
const PROGRAMS = ['education', 'open-source', 'startups', 'contributor'];
const say = (line: string) => process.stderr.write(`${line}\n`);

/** CPU milliseconds (user + system) of the embedded database processes serving `dataDir`. */
function dbCpuMs(dataDir: string): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('ferretdb') || !cmd.includes(dataDir)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch { /* the process ended */ }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

interface Measure { wallMs: number; nodeCpuMs: number; dbCpuMs: number }

async function measure(dataDir: string, work: () => Promise<unknown>): Promise<Measure> {
  const cpu0 = process.cpuUsage();
  const db0 = dbCpuMs(dataDir);
  const t0 = performance.now();
  await work();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs: Math.round(wallMs), nodeCpuMs: Math.round((cpu.user + cpu.system) / 1000), dbCpuMs: dbCpuMs(dataDir) - db0 };
}

/** Members of the four programs in six zones, awarded over the past year, expiring over the next; `due` of them awarded at `dueAt`. */
async function insertMembers(store: Store, count: number, due: number, dueAt: Date): Promise<void> {
  const at = new Date(T0 - 400 * DAY);
  for (let i = 0; i < count; i += 5000) {
    await store.models.Member.collection.insertMany(Array.from({ length: Math.min(5000, count - i) }, (_, j) => {
      const n = i + j;
      const spread = (n * 7919) % 360;
      return {
        _id: new Types.ObjectId(), email: `member${n}@devs.example`, name: `Member ${n}`, program: PROGRAMS[n % PROGRAMS.length], status: 'active',
        locale: 'en', timezone: ZONES[n % ZONES.length], tags: [], attributes: {}, topics: { newsletter: true, events: true, caseStudies: true },
        awardedAt: n % Math.round(count / due) === 0 ? dueAt : new Date(T0 - (30 + spread) * DAY), expiresAt: new Date(T0 + (40 + spread) * DAY), createdAt: at, updatedAt: at,
      };
    }));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function benchSize(uri: string, dataDir: string, members: number) {
  const store = await openStore(uri, DB_NAME);
  await store.db.dropDatabase();
  const dueAt = new Date(T0 + 30 * 60_000);
  await insertMembers(store, members, members / 100, dueAt);
  const clock = new ManualClock(new Date(T0));
  const config = loadConfig({ ...process.env, MONGODB_URI: uri, FLYWHEEL_DB_NAME: DB_NAME, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', FLYWHEEL_TRANSPORT: 'outbox' });
  const campaigns = await loadCampaigns(config.FLYWHEEL_CAMPAIGNS_DIR);
  const engine = await createEngine(config, { store, clock, campaigns });
  try {
    const tick = (ms: number) => measure(dataDir, () => engine.scheduler.tick(new Date(T0 + ms)));
    const build = await tick(0);
    say(`  ${members} members: first tick (plans everything due, files every pair) ${build.wallMs} ms`);
    // steady state: ticks a minute apart with nothing due
    const idle: Measure[] = [];
    for (let m = 1; m <= 5; m++) idle.push(await tick(m * 60_000));
    const idleMs = median(idle.map((x) => x.wallMs));
    say(`  idle tick: median ${idleMs} ms wall (${idle.map((x) => x.wallMs).join(', ')}), node CPU ${median(idle.map((x) => x.nodeCpuMs))} ms, database CPU ${median(idle.map((x) => x.dbCpuMs))} ms`);
    const dueTick = await tick(30 * 60_000);
    say(`  1% due (${members / 100} awarded at ${dueAt.toISOString()}): ${dueTick.wallMs} ms wall, node CPU ${dueTick.nodeCpuMs} ms, database CPU ${dueTick.dbCpuMs} ms`);
    let full: Measure | undefined;
    if (members <= FULL_BASELINE_MAX) {
      // the baseline: every campaign's whole audience planned, as every tick did before the index
      const now = new Date(T0 + 31 * 60_000);
      full = await measure(dataDir, async () => {
        for (const c of campaigns) await planCampaign({ store, batchSize: config.FLYWHEEL_BATCH_SIZE, messageIdDomain: 'bench.example', frequencyCap: { max: 0, windowMs: 7 * DAY, exemptCategories: [] } }, c, { now });
      });
      say(`  full replan baseline (nothing due): ${full.wallMs} ms wall, node CPU ${full.nodeCpuMs} ms, database CPU ${full.dbCpuMs} ms; idle tick is ${(full.wallMs / Math.max(1, idleMs)).toFixed(0)}x faster`);
    }
    return { members, build, idle, idleMs, dueTick, full };
  } finally {
    await engine.close();
    await store.close().catch(() => {});
  }
}

async function main(): Promise<void> {
  const dataDir = join(ROOT_DIR, '.data', 'bench-tick');
  say(`bench:tick  sizes ${SIZES.join(', ')}; the repository's campaigns`);
  const db = await resolveDatabase({ mongodbUri: process.env.MONGODB_URI, dataDir, rootDir: ROOT_DIR, onProgress: say });
  try {
    const results = [];
    for (const size of SIZES) results.push(await benchSize(db.uri, dataDir, size));
    const small = results[0]!;
    const large = results[results.length - 1]!;
    const ratio = large.idleMs / Math.max(1, small.idleMs);
    say(`idle tick ${large.members} vs ${small.members}: ${ratio.toFixed(2)}x (target within 2x); ${large.members}: ${large.idleMs} ms (target < 2000 ms)`);
    process.stdout.write(`${JSON.stringify({
      bench: 'tick', members: large.members, idle_ms: large.idleMs, due_1pct_ms: large.dueTick.wallMs, idle_ms_20k: small.idleMs,
      node_cpu_ms: median(large.idle.map((x) => x.nodeCpuMs)), db_cpu_ms: median(large.idle.map((x) => x.dbCpuMs)),
      due_1pct_node_cpu_ms: large.dueTick.nodeCpuMs, due_1pct_db_cpu_ms: large.dueTick.dbCpuMs, due_1pct_ms_20k: small.dueTick.wallMs,
      first_tick_ms: large.build.wallMs, full_replan_ms_20k: small.full?.wallMs ?? null, idle_ratio_100k_20k: Number(ratio.toFixed(2)),
    })}\n`);
  } finally {
    await db.stop();
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  say(String((err as Error)?.stack ?? err));
  process.exit(1);
});
