// bench:report: does a report's time stay flat as raw events grow? Records events through the
// real ingestion path in bulk: send outcomes as the sender records them (the ledger's keyed
// result insert + the counter call it makes per result), tracking hits through `persistHits`,
// the tracking writer's bulk write (raw event, first-open/first-click markers, send-log and
// member fields, counters). Then, in the same run, times the report read from the rollups
// against a recomputation from the raw records (what a report would cost without rollups:
// the `kpis rebuild` pass), at 100,000 events and again at 1,000,000.
// Sends and members stay fixed between the two sizes; only engagement events grow.
// Run: npm run bench:report   (EVENTS, SMALL, MEMBERS, REPORT_RUNS override the sizes)
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { Types } from 'mongoose';
import { openStore, resolveDatabase, ROOT_DIR, type Store } from '../engine/store/index.ts';
import { monotonicMs } from '../engine/clock.ts';
import { recordPlannedSends, recordResultPage, resultPageId, type PlannedSendRecord, type SendOutcome } from '../engine/ledger/index.ts';
import { CounterBuffer } from '../engine/reports/counters.ts';
import { sendResultDeltas } from '../engine/reports/raw-events.ts';
import { buildReport, type ReportOptions } from '../engine/reports/report.ts';
import { readRollups } from '../engine/reports/rollups.ts';
import { compareRollups, recomputeFromRaw } from '../engine/reports/rebuild.ts';
import { currentMemberFacts, readAllMemberFacts } from '../engine/reports/member-facts.ts';
import { membersReached, renewalReminders } from '../engine/reports/send-records.ts';
import { persistHits } from '../engine/tracking/persist-hits.ts';
import { KnownMarkers } from '../engine/tracking/first-engagements.ts';
import type { Hit } from '../engine/tracking/hits.ts';

const EVENTS = Number(process.env.EVENTS ?? 1_000_000);
const SMALL = Number(process.env.SMALL ?? 100_000);
const MEMBERS = Number(process.env.MEMBERS ?? 5_000);
const REPORT_RUNS = Number(process.env.REPORT_RUNS ?? 5);
const HIT_BATCH = 2_000; // the tracking writer's batch size
const RESULT_BATCH = 2_000;
const PROGRAMS = ['education', 'open-source', 'startups', 'contributor'];
// three newsletter issues and one renewal reminder per member: sends = 4 x MEMBERS
const STEPS = [
  { campaign: 'bench-news', kind: 'newsletter', step: 'issue-1', at: '2026-02-03T09:00:00Z' },
  { campaign: 'bench-news', kind: 'newsletter', step: 'issue-2', at: '2026-04-07T09:00:00Z' },
  { campaign: 'bench-news', kind: 'newsletter', step: 'issue-3', at: '2026-06-02T09:00:00Z' },
  { campaign: 'bench-renewal', kind: 'renewal', step: 'r-30', at: '2026-03-16T10:00:00Z' },
];
const say = (line: string) => process.stderr.write(`${line}\n`);

/** Deterministic pseudo-random numbers (mulberry32), so every run records the same history. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Send { ref: Hit['ref']; renewalReminder: boolean }

async function seed(store: Store): Promise<Send[]> {
  const members = Array.from({ length: MEMBERS }, (_, i) => ({
    _id: new Types.ObjectId(), email: `member${i}@example.org`, program: PROGRAMS[i % 4]!, status: 'active',
    appliedAt: new Date(Date.UTC(2025, i % 12, 1 + (i % 27))), awardedAt: new Date(Date.UTC(2025, i % 12, 8 + (i % 20))),
    expiresAt: new Date(Date.UTC(2026, 3 + (i % 6), 15)),
    renewals: i % 3 === 0 ? [{ renewedAt: new Date(Date.UTC(2026, 3, 1 + (i % 20))), expiresAt: new Date(Date.UTC(2027, 3 + (i % 6), 15)) }] : [],
  }));
  for (let i = 0; i < members.length; i += 5000) await store.models.Member.collection.insertMany(members.slice(i, i + 5000) as never[]);
  await store.models.CampaignState.insertMany([...new Map(STEPS.map((s) => [s.campaign, s])).values()].map((s) => ({
    name: s.campaign, kind: s.kind, state: 'active', steps: STEPS.filter((x) => x.campaign === s.campaign).map((x) => x.step),
  })));
  const sends: Send[] = [];
  for (const s of STEPS) {
    const records: PlannedSendRecord[] = members.map((m) => {
      const _id = new Types.ObjectId();
      return {
        _id, key: `${s.campaign}|${s.step}|${m._id}|`, campaign: s.campaign, step: s.step, occurrence: '', memberId: m._id, email: m.email, program: m.program,
        category: 'marketing', template: 'newsletter', status: 'pending', dueAt: new Date(s.at), messageId: `<${_id}@bench.flywheel.test>`, payloadId: `${s.campaign}-${s.step}`,
      };
    });
    for (let i = 0; i < records.length; i += 5000) await recordPlannedSends(store, records.slice(i, i + 5000));
    for (const r of records) {
      sends.push({ ref: { sendLogId: String(r._id), memberId: String(r.memberId), campaign: s.campaign, step: s.step, program: r.program, sentAt: new Date(s.at) }, renewalReminder: s.kind === 'renewal' });
    }
  }
  return sends;
}

/** Send outcomes as the sender records them: result pages (one keyed document per step's outcomes in a chunk), and per result the counter call it makes. */
async function recordOutcomes(store: Store, counters: CounterBuffer, sends: Send[]): Promise<void> {
  let seq = 0;
  for (let i = 0; i < sends.length; i += RESULT_BATCH) {
    const chunk = sends.slice(i, i + RESULT_BATCH);
    const pages = new Map<string, { campaign: string; step: string; results: SendOutcome[] }>();
    chunk.forEach((s, j) => {
      const bounce = (i + j) % 50 === 7; // 2% refused for good
      const status = bounce ? 'failed' as const : 'sent' as const;
      const at = new Date(s.ref.sentAt.getTime() + ((i + j) % 600) * 1000);
      counters.countAll({ campaign: s.ref.campaign, step: s.ref.step, program: s.ref.program, memberId: s.ref.memberId, at, renewalReminder: s.renewalReminder }, sendResultDeltas(status, bounce));
      const key = `${s.ref.campaign}|${s.ref.step}`;
      const page = pages.get(key) ?? { campaign: s.ref.campaign, step: s.ref.step, results: [] };
      page.results.push({ sendLogId: new Types.ObjectId(s.ref.sendLogId), status, at, ...(bounce ? { bounce: true } : {}) });
      pages.set(key, page);
    });
    // pages of 100 outcomes, as the sender writes them
    for (const page of pages.values()) {
      const batchId = new Types.ObjectId();
      for (let k = 0; k < page.results.length; k += 100) {
        await recordResultPage(store, { _id: resultPageId(batchId, 1, seq), batchId, campaign: page.campaign, step: page.step, attempt: 1, run: 1, seq: seq++, results: page.results.slice(k, k + 100) });
      }
    }
    await counters.flush();
  }
}

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

/** `count` tracking hits on random sends, written through the tracking writer's bulk write (`persistHits`, with its marker memory). */
async function recordHits(store: Store, counters: CounterBuffer, sends: Send[], count: number, rnd: () => number, seq: { n: number }, known: KnownMarkers): Promise<void> {
  const started = monotonicMs();
  for (let done = 0; done < count;) {
    const n = Math.min(HIT_BATCH, count - done);
    const hits: Hit[] = [];
    for (let k = 0; k < n; k++) {
      const s = sends[Math.floor(rnd() * sends.length)]!;
      const click = rnd() < 0.25;
      const machine = rnd() < 0.1;
      hits.push({
        kind: click ? 'click' : 'open', ref: s.ref,
        at: new Date(s.ref.sentAt.getTime() + 3_600_000 + Math.floor(rnd() * 5 * 86_400_000)),
        userAgent: UA, ...(machine ? { rule: 'bench-machine' } : {}), ...(click ? { target: `https://flywheel.example/item/${Math.floor(rnd() * 6)}` } : {}),
      });
    }
    // with the writer's memory of the first-open and first-click markers it already wrote, as the tracking writer runs
    await persistHits(store, counters, [{ id: `bench-${(++seq.n).toString(36)}`, hits }], { known });
    await counters.flush();
    done += n;
    if ((done / HIT_BATCH) % 50 === 0 || done === count) say(`  ${done.toLocaleString('en-US')} / ${count.toLocaleString('en-US')} hits, ${Math.round(done / ((monotonicMs() - started) / 1000))} hits/s`);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(store: Store, options: ReportOptions, events: number) {
  const times: number[] = [];
  let report;
  for (let i = 0; i < REPORT_RUNS; i++) {
    const t0 = monotonicMs();
    report = await buildReport(store, options);
    times.push(monotonicMs() - t0);
  }
  // the first run catches up with the members changed since the last report (engagement marks them too)
  say(`  report from rollups: median ${median(times).toFixed(0)} ms of ${REPORT_RUNS} (${times.map((t) => t.toFixed(0)).join(', ')}; the first catches up with member changes)`);
  // where a report's time goes: each of its reads alone
  const timed = async (f: () => Promise<unknown>) => { const t = monotonicMs(); await f(); return Math.round(monotonicMs() - t); };
  const parts = {
    rollups_ms: await timed(() => readRollups(store, { from: options.from, to: options.to })),
    members_ms: await timed(() => currentMemberFacts(store)),
    reach_ms: await timed(() => membersReached(store, { months: ['2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11', '2026-12'] })),
    reminders_ms: await timed(() => renewalReminders(store)),
    // the baseline the snapshot replaced: every member read
    all_members_ms: await timed(() => readAllMemberFacts(store)),
  };
  say(`  one read each: ${JSON.stringify(parts)}`);
  const t0 = monotonicMs();
  const raw = await recomputeFromRaw(store);
  const rawMs = monotonicMs() - t0;
  // the bench's own check: the rollups the report read hold what the raw records say
  const differences = compareRollups(await readRollups(store), raw.rollups);
  if (differences.length) throw new Error(`rollups and raw records disagree at ${events} events: ${JSON.stringify(differences.slice(0, 5))}`);
  const counts = {
    rollupDocs: await store.models.Rollup.countDocuments({}), members: MEMBERS,
    reach: raw.reach.length, reminders: raw.reminders.length,
  };
  say(`  recomputation from raw records: ${rawMs.toFixed(0)} ms; rollups agree with it; ${JSON.stringify(counts)}`);
  say(`  report total: sent ${report!.engagement.total.sent}, opens ${report!.engagement.total.opens}, clicks ${report!.engagement.total.clicks}`);
  return { reportMs: median(times), firstMs: times[0]!, rawMs, parts };
}

async function main(): Promise<void> {
  const dir = join(ROOT_DIR, '.data', 'bench-report');
  rmSync(dir, { recursive: true, force: true });
  const db = await resolveDatabase({ mongodbUri: process.env.MONGODB_URI, dataDir: dir, rootDir: ROOT_DIR, onProgress: say });
  const store = await openStore(db.uri, 'bench_report');
  try {
    await store.db.dropDatabase();
    say(`bench:report  database: ${db.kind}; ${MEMBERS} members, ${STEPS.length * MEMBERS} sends, ${SMALL.toLocaleString('en-US')} then ${EVENTS.toLocaleString('en-US')} events`);
    const counters = new CounterBuffer(store, { writer: 'bench' });
    const rnd = random(14);
    const seq = { n: 0 };
    const known = new KnownMarkers();
    let t0 = monotonicMs();
    const sends = await seed(store);
    say(`seeded members and send records in ${((monotonicMs() - t0) / 1000).toFixed(1)} s`);
    t0 = monotonicMs();
    await recordOutcomes(store, counters, sends);
    await recordHits(store, counters, sends, SMALL - sends.length, rnd, seq, known);
    const ingestSmallS = (monotonicMs() - t0) / 1000;
    say(`recorded ${SMALL.toLocaleString('en-US')} events (${sends.length} send outcomes, ${SMALL - sends.length} hits) in ${ingestSmallS.toFixed(1)} s`);
    const options: ReportOptions = {
      from: '2026-01-01', to: '2026-12-31', now: new Date('2026-12-31T12:00:00Z'), calendar: { zone: 'UTC' },
      campaigns: [{ name: 'bench-news', kind: 'newsletter' }, { name: 'bench-renewal', kind: 'renewal' }],
    };
    const small = await measure(store, options, SMALL);

    t0 = monotonicMs();
    await recordHits(store, counters, sends, EVENTS - SMALL, rnd, seq, known);
    const ingestRestS = (monotonicMs() - t0) / 1000;
    say(`recorded ${(EVENTS - SMALL).toLocaleString('en-US')} more events in ${ingestRestS.toFixed(1)} s (${Math.round((EVENTS - SMALL) / ingestRestS)} events/s)`);
    const large = await measure(store, options, EVENTS);

    const round = (n: number) => Math.round(n);
    say(`report from rollups: ${round(small.reportMs)} ms at ${SMALL}, ${round(large.reportMs)} ms at ${EVENTS} (x${(large.reportMs / small.reportMs).toFixed(2)}); recomputation from raw: ${round(small.rawMs)} ms, ${round(large.rawMs)} ms`);
    console.log(JSON.stringify({
      bench: 'report', events: EVENTS, report_ms: round(large.reportMs), raw_ms: round(large.rawMs), ratio: Number((large.rawMs / large.reportMs).toFixed(1)),
      report_ms_100k: round(small.reportMs), raw_ms_100k: round(small.rawMs), flat: Number((large.reportMs / small.reportMs).toFixed(2)),
      report_first_ms: round(large.firstMs), report_first_ms_100k: round(small.firstMs),
      rollups_ms: large.parts.rollups_ms, members_ms: large.parts.members_ms, reach_ms: large.parts.reach_ms, reminders_ms: large.parts.reminders_ms, all_members_ms: large.parts.all_members_ms,
      members: MEMBERS, sends: sends.length, ingest_events_per_s: Math.round((EVENTS - SMALL) / ingestRestS), target_met: large.reportMs < 1000 && large.reportMs / small.reportMs < 1.5,
    }));
  } finally {
    await store.close();
    await db.stop();
  }
}

await main();
