// Writes pages of hits (hit-pages.ts): each page under its key (a retried page never counts
// twice) and counted through the counter buffer; survey answers under a per-member-and-step key
// (a second answer replaces the first); and the first opens and clicks of sends among the hits
// (first-engagements.ts: markers for unique counts, send and member fields; the writer's are
// queued and written at its pace). Every write is keyed or idempotent, so a page that failed half-way
// is simply written again. What each hit counts follows reports/raw-events.ts, so `kpis rebuild`
// recomputes the same.
import type { Store } from '../store/index.ts';
import type { CounterBuffer } from '../reports/counters.ts';
import type { RollupContext } from '../reports/metrics.ts';
import { insertKeyed } from '../store/keyed-insert.ts';
import { firstEngagementsOf, writeFirstEngagements, type FirstEngagements, type KnownMarkers } from './first-engagements.ts';
import type { Hit } from './hits.ts';
import { encodeHitPage, HIT_PAGES_COLLECTION, type HitPage } from './hit-pages.ts';

const where = (h: Hit, at = h.at): RollupContext => ({ campaign: h.ref.campaign, step: h.ref.step, program: h.ref.program, at });

export interface PersistOutcome {
  written: number;
  duplicates: number;
}

export interface PersistOptions {
  /** marker keys known to be written (the writer's memory) */
  known?: KnownMarkers;
  /** the writer's queue: first engagements are written there at its pace; without it they are written now */
  firsts?: FirstEngagements;
}

/** Writes pages of hits (the writer: one per flush; provider webhooks: one per provider event) and what follows from them. */
export async function persistHits(store: Store, counters: CounterBuffer, pages: readonly HitPage[], { known, firsts }: PersistOptions = {}): Promise<PersistOutcome> {
  const nonEmpty = pages.filter((p) => p.hits.length > 0);
  if (nonEmpty.length === 0) return { written: 0, duplicates: 0 };
  // a page already there was written (and counted) by an earlier attempt; the rest below is keyed, so it runs again
  const dup = await insertKeyed(store.db.collection(HIT_PAGES_COLLECTION), nonEmpty.map(encodeHitPage));
  let written = 0;
  nonEmpty.forEach((page, i) => {
    if (dup.has(i)) return;
    written += page.hits.length;
    countOpensAndClicks(counters, page.hits);
  });
  const hits = nonEmpty.flatMap((p) => p.hits);
  const first = firstEngagementsOf(hits, known);
  if (firsts) firsts.add(first);
  else await writeFirstEngagements(store, counters, first, known);
  await applyAnswers(store, counters, hits.filter((h) => h.kind === 'csat' && !h.rule));
  return { written, duplicates: hits.length - written };
}

const DAY_MS = 86_400_000;

/** Opens and clicks counted per rollup (campaign step and UTC day) and kind, not hit by hit: a page's hits share a few. */
function countOpensAndClicks(counters: CounterBuffer, hits: readonly Hit[]): void {
  const groups = new Map<string, { hit: Hit; n: number }>();
  for (const h of hits) {
    if (h.kind === 'csat') continue;
    const key = `${h.kind}|${h.rule === undefined ? 'h' : 'm'}|${Math.floor(h.at.getTime() / DAY_MS)}|${h.ref.campaign}\n${h.ref.step}\n${h.ref.program ?? ''}`;
    const group = groups.get(key);
    if (group) group.n++;
    else groups.set(key, { hit: h, n: 1 });
  }
  for (const { hit, n } of groups.values()) counters.countEvent(where(hit), hit.kind, { machine: hit.rule !== undefined }, n);
}

export function answerKey(h: Hit): string {
  return `csat:${h.ref.campaign}:${h.ref.step}:${h.ref.memberId}`;
}

/**
 * One answer per member and campaign step: the latest in the batch wins; a changed answer moves
 * csatSum by the difference and leaves csatCount alone. One process writes a given answer at a
 * time (the single writer), so read-then-write is safe here.
 */
async function applyAnswers(store: Store, counters: CounterBuffer, answers: Hit[]): Promise<void> {
  if (answers.length === 0) return;
  const latest = new Map<string, Hit>();
  for (const h of answers) {
    const k = answerKey(h);
    const prev = latest.get(k);
    if (!prev || prev.at <= h.at) latest.set(k, h);
  }
  const existing = await store.models.Event.collection.find({ _id: { $in: [...latest.keys()] } } as never, { projection: { data: 1, at: 1 } }).toArray();
  const before = new Map(existing.map((d) => [String(d._id), { score: (d.data as { score?: number } | undefined)?.score, at: d.at as Date }]));
  const ops: object[] = [];
  const deltas: Array<() => void> = [];
  for (const [key, h] of latest) {
    const stored = before.get(key);
    // a comment can arrive before its answer is written: such a document holds no score yet
    const old = typeof stored?.score === 'number' ? { score: stored.score, at: stored.at } : undefined;
    if (old && old.at > h.at) continue; // an older answer arriving late does not replace a newer one
    if (!old) deltas.push(() => counters.countEvent(where(h), 'csat', { score: h.score! }));
    else if (old.score !== h.score) deltas.push(() => counters.count(where(h), 'csatSum', h.score! - old.score));
    ops.push({
      updateOne: {
        filter: { _id: key },
        update: {
          $set: { 'data.score': h.score, at: h.at, sendLogId: h.ref.sendLogId },
          $setOnInsert: { key, type: 'csat', campaign: h.ref.campaign, step: h.ref.step, program: h.ref.program ?? null, memberId: h.ref.memberId },
        },
        upsert: true,
      },
    });
  }
  if (ops.length) await store.models.Event.collection.bulkWrite(ops as never, { ordered: false });
  // counted only once written: a failed write is retried with the same reads, never counted twice
  for (const d of deltas) d();
}
