// Writes one page of hits (hit-pages.ts): the page under its key (a retried page never counts
// twice), first-open/first-click markers under per-send keys (unique opens and clicks), survey
// answers under a per-member-and-step key (a second answer replaces the first), counters through
// the counter buffer, and the send and member "first/last opened" fields of the sends opened first
// now (engagement-fields.ts: the writer's are coalesced and written at its pace). Every write is keyed or idempotent, so a page that failed half-way
// is simply written again. What each hit counts follows reports/raw-events.ts, so `kpis rebuild`
// recomputes the same.
import type { Store } from '../store/index.ts';
import type { CounterBuffer } from '../reports/counters.ts';
import type { RollupContext } from '../reports/metrics.ts';
import { insertKeyed } from '../store/keyed-insert.ts';
import { writeEngagementFields, type EngagementFields, type FirstEngagement } from './engagement-fields.ts';
import type { Hit } from './hits.ts';
import { encodeHitPage, HIT_PAGES_COLLECTION, type HitPage } from './hit-pages.ts';

const first = (kind: FirstEngagement['kind'], h: Hit): FirstEngagement => ({ kind, sendLogId: h.ref.sendLogId, memberId: h.ref.memberId, at: h.at });
const where = (h: Hit, at = h.at): RollupContext => ({ campaign: h.ref.campaign, step: h.ref.step, program: h.ref.program, at });

export interface PersistOutcome {
  written: number;
  duplicates: number;
}

/**
 * Marker keys (`open:<send>`, `click:<send>`) this process knows are written, so a send opened again
 * does not try its first-open marker again: on FerretDB an insert that fails as a duplicate costs
 * three times a new one, and most opens repeat (privacy proxies, then the person, then re-reads).
 * Bounded: the oldest keys are forgotten, and a forgotten key only costs that duplicate insert again.
 */
export class KnownMarkers {
  private readonly keys = new Set<string>();
  constructor(private readonly max = 200_000) {}
  has(key: string): boolean { return this.keys.has(key); }
  add(key: string): void {
    this.keys.add(key);
    if (this.keys.size > this.max) this.keys.delete(this.keys.values().next().value as string);
  }
}

export interface PersistOptions {
  /** marker keys known to be written (the writer's memory) */
  known?: KnownMarkers;
  /** where the send and member fields of first engagements go to be written at the writer's pace; without it they are written now */
  engagement?: EngagementFields;
}

/** Writes pages of hits (the writer: one per flush; provider webhooks: one per provider event) and what follows from them. */
export async function persistHits(store: Store, counters: CounterBuffer, pages: readonly HitPage[], { known, engagement }: PersistOptions = {}): Promise<PersistOutcome> {
  const nonEmpty = pages.filter((p) => p.hits.length > 0);
  if (nonEmpty.length === 0) return { written: 0, duplicates: 0 };
  // a page already there was written (and counted) by an earlier attempt; the rest below is keyed, so it runs again
  const dup = await insertKeyed(store.db.collection(HIT_PAGES_COLLECTION), nonEmpty.map(encodeHitPage));
  let written = 0;
  nonEmpty.forEach((page, i) => {
    if (dup.has(i)) return;
    written += page.hits.length;
    for (const h of page.hits) if (h.kind !== 'csat') counters.countEvent(where(h), h.kind, { machine: h.rule !== undefined });
  });
  const hits = nonEmpty.flatMap((p) => p.hits);

  // First human open / click of each send. A human click proves an open even with images off.
  const opened = new Map<string, Hit>();
  const clicked = new Map<string, Hit>();
  for (const h of hits) {
    if (h.rule) continue;
    if (h.kind === 'open' || h.kind === 'click') if (!opened.has(h.ref.sendLogId)) opened.set(h.ref.sendLogId, h);
    if (h.kind === 'click' && !clicked.has(h.ref.sendLogId)) clicked.set(h.ref.sendLogId, h);
  }
  const firstOpens = await newMarkers(store, 'first-open', 'open', opened, known);
  const firstClicks = await newMarkers(store, 'first-click', 'click', clicked, known);
  for (const h of firstOpens) counters.countEvent(where(h), 'first-open');
  for (const h of firstClicks) counters.countEvent(where(h), 'first-click');
  const firsts = [...firstOpens.map((h) => first('open', h)), ...firstClicks.map((h) => first('click', h))];
  if (engagement) engagement.add(firsts);
  else await writeEngagementFields(store, firsts);

  await applyAnswers(store, counters, hits.filter((h) => h.kind === 'csat' && !h.rule));
  return { written, duplicates: hits.length - written };
}

/** Inserts `<prefix>:<sendLogId>` markers; returns the hits whose marker is new. */
async function newMarkers(store: Store, type: 'first-open' | 'first-click', prefix: string, bySend: Map<string, Hit>, known?: KnownMarkers): Promise<Hit[]> {
  const list = [...bySend.values()].filter((h) => !known?.has(`${prefix}:${h.ref.sendLogId}`));
  const docs = list.map((h) => {
    const key = `${prefix}:${h.ref.sendLogId}`;
    return { _id: key, key, type, sendLogId: h.ref.sendLogId, memberId: h.ref.memberId, campaign: h.ref.campaign, step: h.ref.step, program: h.ref.program ?? null, at: h.at, data: h.kind === 'click' && type === 'first-open' ? { via: 'click' } : undefined };
  });
  const dup = await insertKeyed(store.models.Event.collection, docs);
  // written now or before: either way it exists (remembered only once the insert returned)
  for (const d of docs) known?.add(d.key);
  return list.filter((_, i) => !dup.has(i));
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
