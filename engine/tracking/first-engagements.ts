// What a send's first human open or click sets off: its keyed marker (`open:<send>`,
// `click:<send>`: unique opens and clicks, counted once across processes and restarts), the
// send's firstOpenedAt/firstClickedAt, the member's lastOpenedAt/lastClickedAt (segments and drip
// branches read them) and a planning mark so the next tick re-plans the member. On the embedded
// database that is four writes by key costing about 0.4 ms of its CPU per send, against a few
// microseconds per hit for the page: a burst of first opens (a privacy proxy prefetching a whole
// send) written as it comes would take the cores the pixel needs. So the writer keeps them here,
// coalesced (one per send and kind, the earliest wins), and writes them in chunks that take at
// most a quarter of the time while hits keep coming, at full speed when they stop or when more
// than `maxPending` wait. A final flush drains them; what the database cannot take at shutdown is
// handed back for the spool file.
import { markPlanningInputs } from '../store/plan-marks.ts';
import { insertKeyed } from '../store/keyed-insert.ts';
import { updateEachById } from '../store/update-by-id.ts';
import type { Store } from '../store/index.ts';
import type { CounterBuffer } from '../reports/counters.ts';
import { recordFirstEngagements } from '../ledger/index.ts';
import type { Hit } from './hits.ts';
import { storedId } from '../store/member-id.ts';

export interface FirstEngagement {
  kind: 'open' | 'click';
  sendLogId: string;
  memberId: string;
  campaign: string;
  step: string;
  program?: string;
  at: Date;
  /** a first open proven by a click (images off) */
  viaClick?: boolean;
}

const keyOf = (f: Pick<FirstEngagement, 'kind' | 'sendLogId'>) => `${f.kind}:${f.sendLogId}`;
const later = (a: Date | undefined, b: Date) => (a && a > b ? a : b);

/**
 * Marker keys this process knows are written, so a send opened again does not try its marker
 * again: on FerretDB an insert that fails as a duplicate costs three times a new one, and most
 * opens repeat (privacy proxies, then the person, then re-reads). Bounded: the oldest keys are
 * forgotten, and a forgotten key only costs that duplicate insert again.
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

/** The first human open and click of each send among these hits (a human click proves an open), less those known written. */
export function firstEngagementsOf(hits: readonly Hit[], known?: KnownMarkers): FirstEngagement[] {
  const firsts = new Map<string, FirstEngagement>();
  const note = (kind: FirstEngagement['kind'], h: Hit) => {
    // most opens repeat a send already opened: look the key up before building anything
    const key = `${kind}:${h.ref.sendLogId}`;
    if (firsts.has(key) || known?.has(key)) return;
    firsts.set(key, { kind, sendLogId: h.ref.sendLogId, memberId: h.ref.memberId, campaign: h.ref.campaign, step: h.ref.step, ...(h.ref.program ? { program: h.ref.program } : {}), at: h.at, ...(kind === 'open' && h.kind === 'click' ? { viaClick: true } : {}) });
  };
  for (const h of hits) {
    if (h.rule || h.kind === 'csat') continue;
    note('open', h);
    if (h.kind === 'click') note('click', h);
  }
  return [...firsts.values()];
}

/** Markers, unique counts and engagement fields of these first engagements, now. Keyed and idempotent: safe to run again. */
export async function writeFirstEngagements(store: Store, counters: CounterBuffer, firsts: readonly FirstEngagement[], known?: KnownMarkers): Promise<void> {
  if (firsts.length === 0) return;
  const docs = firsts.map((f) => ({
    _id: keyOf(f), key: keyOf(f), type: `first-${f.kind}`, sendLogId: f.sendLogId, memberId: f.memberId,
    campaign: f.campaign, step: f.step, program: f.program ?? null, at: f.at, data: f.viaClick ? { via: 'click' } : undefined,
  }));
  const dup = await insertKeyed(store.models.Event.collection, docs);
  const fresh = firsts.filter((_, i) => !dup.has(i));
  // counted once its marker is written; a marker already there was counted by whoever wrote it
  for (const f of fresh) counters.countEvent({ campaign: f.campaign, step: f.step, program: f.program, at: f.at }, f.kind === 'open' ? 'first-open' : 'first-click');
  // the fields are written for every marker of the chunk (a retried chunk whose markers were written finds them all duplicates)
  const members = new Map<string, { lastOpenedAt?: Date; lastClickedAt?: Date }>();
  for (const f of firsts) {
    const m = members.get(f.memberId) ?? {};
    if (f.kind === 'open') m.lastOpenedAt = later(m.lastOpenedAt, f.at);
    else m.lastClickedAt = later(m.lastClickedAt, f.at);
    members.set(f.memberId, m);
  }
  await recordFirstEngagements(store, firsts.filter((f) => f.kind === 'open'), firsts.filter((f) => f.kind === 'click'));
  await updateEachById(store.db, store.models.Member.collection.collectionName, [...members].map(([id, max]) => ({ _id: storedId(id), update: { $max: max } })));
  // engagement decides drip branches and engagement segments: re-plan these members next tick
  await markPlanningInputs(store.db, { members: [...members.keys()] });
  for (const d of docs) known?.add(d.key);
}

export interface FirstEngagementsOptions {
  /** true while hits keep coming: then chunks take at most `busyShare` of the time */
  busy: () => boolean;
  busyShare?: number;
  /** first engagements per write */
  chunk?: number;
  /** past this many waiting, write at full speed (and the writer stops taking pages from memory) */
  maxPending?: number;
  known?: KnownMarkers;
  onError?: (err: unknown, pending: number) => void;
}

/** The writer's queue of first engagements, written at its own pace (see the top of this file). */
export class FirstEngagements {
  private pending = new Map<string, FirstEngagement>();
  private timer?: NodeJS.Timeout;
  private stepping = false;
  private writing: Promise<void> = Promise.resolve();
  private failures = 0;
  private stopped = false;
  private readonly busyShare: number;
  private readonly chunk: number;
  readonly maxPending: number;

  constructor(private readonly store: Store, private readonly counters: CounterBuffer, private readonly options: FirstEngagementsOptions) {
    this.busyShare = options.busyShare ?? 0.25;
    this.chunk = options.chunk ?? 500;
    this.maxPending = options.maxPending ?? 100_000;
  }

  get backlog(): number { return this.pending.size; }

  add(firsts: readonly FirstEngagement[]): void {
    for (const f of firsts) {
      const key = keyOf(f);
      const waiting = this.pending.get(key);
      if (!waiting || f.at < waiting.at) this.pending.set(key, f);
    }
    this.schedule(0);
  }

  /** Write everything waiting now, without pauses (the writer's final flush); throws if the database fails. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await this.writeChunk();
  }

  /** Stop, and write everything now; resolves with what could not be written (the database is down). */
  async close(): Promise<FirstEngagement[]> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (let attempt = 0; this.pending.size > 0 && attempt < 3; attempt++) {
      try {
        await this.drain();
      } catch (err) {
        this.options.onError?.(err, this.pending.size);
      }
    }
    const left = [...this.pending.values()];
    this.pending.clear();
    return left;
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.timer || this.stepping || this.pending.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.step();
    }, delayMs);
    this.timer.unref();
  }

  private async step(): Promise<void> {
    this.stepping = true;
    const t0 = performance.now();
    let pause = 0;
    try {
      await this.writeChunk();
      this.failures = 0;
      const busy = this.pending.size < this.maxPending && this.options.busy();
      pause = busy ? ((performance.now() - t0) * (1 - this.busyShare)) / this.busyShare : 0;
    } catch (err) {
      this.failures++;
      if (this.failures === 1 || this.failures % 20 === 0) this.options.onError?.(err, this.pending.size);
      pause = Math.min(5000, 100 * this.failures);
    } finally {
      this.stepping = false;
    }
    this.schedule(pause);
  }

  /** Writes the oldest `chunk` waiting, one write at a time; they stay waiting if the write fails. */
  private writeChunk(): Promise<void> {
    const next = this.writing.then(() => this.writeOldest());
    this.writing = next.catch(() => {});
    return next;
  }

  private async writeOldest(): Promise<void> {
    const batch: FirstEngagement[] = [];
    for (const f of this.pending.values()) {
      batch.push(f);
      if (batch.length >= this.chunk) break;
    }
    await writeFirstEngagements(this.store, this.counters, batch, this.options.known);
    for (const f of batch) if (this.pending.get(keyOf(f)) === f) this.pending.delete(keyOf(f));
  }
}
