// `flywheel kpis rebuild`: recompute every rollup from the raw facts (send results and
// engagement events) through the same deltas live counting uses, and the records counted at
// send time beside them (members reached per month, renewal reminders sent), and replace the
// live ones with the result; and the reports' snapshot of the members' facts from the members. Reads every raw record once, one cursor per collection, so its
// cost grows with the raw volume.
import type { Store } from '../store/index.ts';
import { resultPages, sendRecipientPages } from '../ledger/index.ts';
import { addTotals, emptyTotals, reachMonth, rollupDay, sendsRenewalReminders, type RollupTotals } from './metrics.ts';
import { rawEventDeltas, sendResultDeltas, type Deltas, type RawEventData } from './raw-events.ts';
import { readRollups, type RollupRow } from './rollups.ts';
import { compareMemberFacts, currentMemberFacts, readAllMemberFacts, snapshotFromMembers } from './member-facts.ts';
import { deleteShardsExcept, reachRecordId, reachRecords, reminderRecordId, reminderRecords, writeReachShards, writeReminderShards, type ReachRecord, type ReminderRecord } from './send-records.ts';
import { rawEventOfHit, storedHitPages } from '../tracking/hit-pages.ts';

export type { ReachRecord, ReminderRecord };

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

type RawCollection = { find(filter: object, options?: object): AsyncIterable<unknown> };

/** Every document of a raw collection, page by page from one cursor (see ledger/pages.ts for why not keyset pages). */
async function* pages<T>(collection: RawCollection): AsyncGenerator<T[]> {
  let page: T[] = [];
  for await (const doc of collection.find({}, { batchSize: PAGE })) {
    page.push(doc as T);
    if (page.length === PAGE) {
      yield page;
      page = [];
    }
  }
  if (page.length) yield page;
}

export interface RebuildProgress { results: number; events: number }

/** What the raw facts say the counted records should be (nothing is written). */
export interface Recomputed {
  rollups: RollupRow[];
  /** members reached per program and month (CounterBuffer's reach records) */
  reach: ReachRecord[];
  /** renewal reminders sent (CounterBuffer's reminder records, read by attribution) */
  reminders: ReminderRecord[];
}

/** Rollups as the raw facts say they should be (nothing is written). */
export async function recomputeRollups(store: Store, onProgress?: (p: RebuildProgress) => void): Promise<RollupRow[]> {
  return (await recomputeFromRaw(store, onProgress)).rollups;
}

export async function recomputeFromRaw(store: Store, onProgress?: (p: RebuildProgress) => void): Promise<Recomputed> {
  const out: Totals = new Map();
  const progress: RebuildProgress = { results: 0, events: 0 };
  const reach = new Map<string, ReachRecord>();
  const reminders = new Map<string, ReminderRecord>();
  // The kind decides what a send is (the sender asks the registered campaign's kind too).
  const kinds = new Map((await store.models.CampaignState.find({}, { name: 1, kind: 1 }).lean()).map((c) => [c.name, c.kind]));
  // Results carry neither the member nor the program; their send logs do (one pass).
  const recipientOf = new Map<string, { memberId: string; program?: string }>();
  for await (const page of sendRecipientPages(store)) {
    for (const l of page) recipientOf.set(l.sendLogId, { memberId: l.memberId, program: l.program ?? undefined });
  }
  for await (const page of resultPages(store)) {
    for (const r of page) {
      const to = recipientOf.get(String(r.sendLogId));
      add(out, { campaign: r.campaign, step: r.step, program: to?.program, at: r.at }, sendResultDeltas(r.status, r.bounce));
      if (r.status !== 'sent' || !to) continue;
      // as CounterBuffer.count does for a `sent` with a member
      if (to.program) {
        const month = reachMonth(r.at);
        const id = reachRecordId(to.program, month, to.memberId);
        reach.set(id, { _id: id, program: to.program, month, memberId: to.memberId });
      }
      if (sendsRenewalReminders(kinds.get(r.campaign))) {
        const id = reminderRecordId(to.memberId, r.campaign, r.step, r.at);
        const known = reminders.get(id);
        if (!known || r.at < known.at) reminders.set(id, { _id: id, memberId: to.memberId, campaign: r.campaign, step: r.step, at: r.at });
      }
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
  // pixel, click and survey hits are stored in pages (tracking/hit-pages.ts), one raw event each
  for await (const hits of storedHitPages(store)) {
    for (const h of hits) {
      const e = rawEventOfHit(h);
      add(out, e, rawEventDeltas(e.type, e.data));
    }
    progress.events += hits.length;
    onProgress?.(progress);
  }
  const byId = <T extends { _id: string }>(m: Map<string, T>) => [...m.values()].sort((a, b) => a._id.localeCompare(b._id));
  const rollups = [...out.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : `${a.campaign}|${a.step}|${a.program}`.localeCompare(`${b.campaign}|${b.step}|${b.program}`)));
  return { rollups, reach: byId(reach), reminders: byId(reminders) };
}

/** The live reach and reminder records, each once, in `_id` order (to compare with a recomputation). */
export async function liveCountedRecords(store: Store): Promise<Pick<Recomputed, 'reach' | 'reminders'>> {
  const [reach, reminders] = await Promise.all([reachRecords(store), reminderRecords(store)]);
  return { reach, reminders };
}

/** Keys only in the live records (`extra`) or only in the recomputation (`missing`). */
export function compareRecords(live: ReadonlyArray<{ _id: string }>, raw: ReadonlyArray<{ _id: string }>): { missing: string[]; extra: string[] } {
  const liveIds = new Set(live.map((r) => r._id));
  const rawIds = new Set(raw.map((r) => r._id));
  return { missing: [...rawIds].filter((id) => !liveIds.has(id)), extra: [...liveIds].filter((id) => !rawIds.has(id)) };
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

export interface RebuildOutcome {
  rows: number;
  differences: RollupDifference[];
  reach: { missing: string[]; extra: string[] };
  reminders: { missing: string[]; extra: string[] };
  /** members whose facts in the reports' snapshot (caught up) differed from the members themselves */
  membership: { missing: string[]; extra: string[]; changed: string[] };
}

/** The reports' member snapshot (caught up) against one full read of the members; with `replace`, the full read becomes the snapshot. */
export async function checkMemberFacts(store: Store, replace: boolean): Promise<RebuildOutcome['membership']> {
  const live = await currentMemberFacts(store);
  const fromMembers = replace ? await snapshotFromMembers(store) : await readAllMemberFacts(store);
  return compareMemberFacts(live, fromMembers);
}

/**
 * Replace the live rollups, reach and reminder records with a recomputation. Rollups: the new
 * rows go under a fresh shard name first, then every other shard is deleted, so a crash midway
 * leaves the old numbers or both (re-run to finish), never nothing. Reach and reminder shards
 * likewise: the recomputed records under the rebuild's shard name, then every other shard deleted
 * (readers take the union, so both at once count each record once).
 * Run it while no worker or server is counting.
 */
export async function rebuildRollups(store: Store, now: Date, onProgress?: (p: RebuildProgress) => void): Promise<RebuildOutcome> {
  const live = await readRollups(store);
  const liveRecords = await liveCountedRecords(store);
  const raw = await recomputeFromRaw(store, onProgress);
  const shard = `rebuild-${now.getTime()}`;
  const docs = raw.rollups.map((r) => ({ _id: `${r.day}|${r.campaign}|${r.step}|${r.program}|${shard}`, day: r.day, campaign: r.campaign, step: r.step, program: r.program, shard, ...r.totals }));
  for (let i = 0; i < docs.length; i += PAGE) {
    await store.models.Rollup.bulkWrite(docs.slice(i, i + PAGE).map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } })) as never, { ordered: false });
  }
  await store.models.Rollup.deleteMany({ shard: { $ne: shard } });
  const reach = compareRecords(liveRecords.reach, raw.reach);
  const reminders = compareRecords(liveRecords.reminders, raw.reminders);
  await writeReachShards(store, shard, raw.reach);
  await writeReminderShards(store, shard, raw.reminders);
  await deleteShardsExcept(store, shard);
  const membership = await checkMemberFacts(store, true);
  return { rows: docs.length, differences: compareRollups(live, raw.rollups), reach, reminders, membership };
}
