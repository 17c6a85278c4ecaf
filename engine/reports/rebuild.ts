// `flywheel kpis rebuild`: recompute every rollup from the raw facts (send results and
// engagement events) through the same deltas live counting uses, and replace the live
// rollups with the result. Reads every raw record once, in `_id` order (the only order the
// embedded database serves without sorting), so its cost grows with the raw volume.
import type { Store } from '../store/index.ts';
import { resultPages, sendProgramPages } from '../ledger/index.ts';
import { addTotals, emptyTotals, rollupDay, type RollupTotals } from './metrics.ts';
import { rawEventDeltas, sendResultDeltas, type Deltas, type RawEventData } from './raw-events.ts';
import { readRollups, type RollupRow } from './rollups.ts';

const PAGE = 5000;

type Totals = Map<string, { day: string; campaign: string; step: string; program: string; totals: RollupTotals }>;

function add(into: Totals, where: { campaign: string; step: string; program?: string | null; at: Date }, deltas: Deltas): void {
  if (Object.keys(deltas).length === 0) return;
  const day = rollupDay(where.at);
  const program = where.program ?? '';
  const key = `${day}|${where.campaign}|${where.step}|${program}`;
  let row = into.get(key);
  if (!row) into.set(key, (row = { day, campaign: where.campaign, step: where.step, program, totals: emptyTotals() }));
  addTotals(row.totals, deltas);
}

type RawCollection = { find(filter: object, options?: object): { sort(s: object): { limit(n: number): { toArray(): Promise<unknown[]> } } } };

/** Every document of a raw collection, page by page in `_id` order (keyset, resumable). */
async function* pages<T>(collection: RawCollection, projection?: Record<string, 1>): AsyncGenerator<T[]> {
  let after: unknown;
  for (;;) {
    const page = (await collection.find(after === undefined ? {} : { _id: { $gt: after } }, projection ? { projection } : {}).sort({ _id: 1 }).limit(PAGE).toArray()) as Array<T & { _id: unknown }>;
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1]!._id;
  }
}

export interface RebuildProgress { results: number; events: number }

/** Rollups as the raw facts say they should be (nothing is written). */
export async function recomputeRollups(store: Store, onProgress?: (p: RebuildProgress) => void): Promise<RollupRow[]> {
  const out: Totals = new Map();
  const progress: RebuildProgress = { results: 0, events: 0 };
  // Results do not carry the member's program; their send logs do (one pass, in key order).
  const programOf = new Map<string, string>();
  for await (const page of sendProgramPages(store)) {
    for (const l of page) if (l.program) programOf.set(l.sendLogId, l.program);
  }
  for await (const page of resultPages(store)) {
    for (const r of page) {
      add(out, { campaign: r.campaign, step: r.step, program: programOf.get(String(r.sendLogId)), at: r.at }, sendResultDeltas(r.status, r.bounce));
    }
    progress.results += page.length;
    onProgress?.(progress);
  }
  const events = store.models.Event.collection;
  type EventRow = { type: string; campaign?: string; step?: string; program?: string; at: Date; data?: RawEventData };
  for await (const page of pages<EventRow>(events as unknown as RawCollection)) {
    for (const e of page) {
      if (!e.campaign || !e.step) continue; // not a send's event (nothing to attribute it to)
      add(out, { campaign: e.campaign, step: e.step, program: e.program, at: e.at }, rawEventDeltas(e.type, e.data));
    }
    progress.events += page.length;
    onProgress?.(progress);
  }
  return [...out.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : `${a.campaign}|${a.step}|${a.program}`.localeCompare(`${b.campaign}|${b.step}|${b.program}`)));
}

export interface RollupDifference { day: string; campaign: string; step: string; program: string; metric: string; live: number; raw: number }

/** Where live rollups and a recomputation disagree (empty = they agree). */
export function compareRollups(live: RollupRow[], raw: RollupRow[]): RollupDifference[] {
  const key = (r: RollupRow) => `${r.day}|${r.campaign}|${r.step}|${r.program}`;
  const liveBy = new Map(live.map((r) => [key(r), r]));
  const rawBy = new Map(raw.map((r) => [key(r), r]));
  const diffs: RollupDifference[] = [];
  for (const k of new Set([...liveBy.keys(), ...rawBy.keys()])) {
    const l = liveBy.get(k)?.totals ?? emptyTotals();
    const r = rawBy.get(k)?.totals ?? emptyTotals();
    const [day, campaign, step, program] = k.split('|') as [string, string, string, string];
    for (const m of Object.keys(l) as (keyof RollupTotals)[]) if (l[m] !== r[m]) diffs.push({ day, campaign, step, program, metric: m, live: l[m], raw: r[m] });
  }
  return diffs;
}

/**
 * Replace the live rollups with a recomputation. Writes the new rows under a fresh shard
 * name first, then deletes every other shard, so a crash midway leaves the old numbers or
 * both (re-run to finish), never nothing. Run it while no worker or server is counting.
 */
export async function rebuildRollups(store: Store, now: Date, onProgress?: (p: RebuildProgress) => void): Promise<{ rows: number; differences: RollupDifference[] }> {
  const live = await readRollups(store);
  const raw = await recomputeRollups(store, onProgress);
  const shard = `rebuild-${now.getTime()}`;
  const docs = raw.map((r) => ({ _id: `${r.day}|${r.campaign}|${r.step}|${r.program}|${shard}`, day: r.day, campaign: r.campaign, step: r.step, program: r.program, shard, ...r.totals }));
  for (let i = 0; i < docs.length; i += PAGE) {
    await store.models.Rollup.bulkWrite(docs.slice(i, i + PAGE).map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } })) as never, { ordered: false });
  }
  await store.models.Rollup.deleteMany({ shard: { $ne: shard } });
  return { rows: docs.length, differences: compareRollups(live, raw) };
}
