// The engagement fields a first open or click sets: the send's firstOpenedAt/firstClickedAt, the
// member's lastOpenedAt/lastClickedAt (segments and drip branches read them), and a planning mark
// so the next tick re-plans those members. On the embedded database each is a write by `_id`
// costing about 0.1 ms of its CPU, three per first open: a burst of first opens (a privacy proxy
// prefetching a whole send) written as it comes would take the cores the pixel needs. So they
// are kept here, coalesced (one update per send, one per member, last value wins), and written in
// chunks that take at most a quarter of the time while hits keep coming, at full speed otherwise
// and whenever more than `maxPending` wait. Unique opens and clicks do not wait: their keyed
// markers are written with the page. The writer's close drains this; what the database cannot
// take then is handed back for the spool file.
import { Types } from 'mongoose';
import { markPlanningInputs } from '../store/plan-marks.ts';
import type { Store } from '../store/index.ts';
import { recordFirstEngagements } from '../ledger/index.ts';

export interface FirstEngagement {
  kind: 'open' | 'click';
  sendLogId: string;
  memberId: string;
  at: Date;
}

const oid = (id: string): Types.ObjectId | string => (/^[0-9a-f]{24}$/.test(id) ? new Types.ObjectId(id) : id);
const later = (a: Date | undefined, b: Date) => (a && a > b ? a : b);

/** Writes the fields of these first engagements now: one update per send and per member, one planning mark. */
export async function writeEngagementFields(store: Store, firsts: readonly FirstEngagement[]): Promise<void> {
  if (firsts.length === 0) return;
  const members = new Map<string, { lastOpenedAt?: Date; lastClickedAt?: Date }>();
  for (const f of firsts) {
    const m = members.get(f.memberId) ?? {};
    if (f.kind === 'open') m.lastOpenedAt = later(m.lastOpenedAt, f.at);
    else m.lastClickedAt = later(m.lastClickedAt, f.at);
    members.set(f.memberId, m);
  }
  const opens = firsts.filter((f) => f.kind === 'open');
  const clicks = firsts.filter((f) => f.kind === 'click');
  await recordFirstEngagements(store, opens, clicks);
  const memberOps = [...members].map(([id, max]) => ({ updateOne: { filter: { _id: oid(id) }, update: { $max: max } } }));
  await store.models.Member.collection.bulkWrite(memberOps as never, { ordered: false });
  // engagement decides drip branches and engagement segments: re-plan these members next tick
  await markPlanningInputs(store.db, { members: [...members.keys()] });
}

export interface EngagementFieldsOptions {
  /** true while hits keep coming: then chunks take at most `busyShare` of the time */
  busy: () => boolean;
  busyShare?: number;
  /** first engagements per write */
  chunk?: number;
  /** past this many waiting, write at full speed */
  maxPending?: number;
  onError?: (err: unknown, pending: number) => void;
}

export class EngagementFields {
  /** keyed by kind and send: a send's first open (or click) is set once */
  private pending = new Map<string, FirstEngagement>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private writing: Promise<void> = Promise.resolve();
  private failures = 0;
  private stopped = false;
  private readonly busyShare: number;
  private readonly chunk: number;
  readonly maxPending: number;

  constructor(private readonly store: Store, private readonly options: EngagementFieldsOptions) {
    this.busyShare = options.busyShare ?? 0.25;
    this.chunk = options.chunk ?? 500;
    this.maxPending = options.maxPending ?? 100_000;
  }

  get backlog(): number { return this.pending.size; }

  add(firsts: readonly FirstEngagement[]): void {
    for (const f of firsts) {
      const key = `${f.kind}:${f.sendLogId}`;
      const known = this.pending.get(key);
      if (!known || f.at < known.at) this.pending.set(key, f);
    }
    this.schedule(0);
  }

  /** Write everything waiting now, without pauses (the writer's final flush, tests); throws if the database fails. */
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
    if (this.stopped || this.timer || this.running || this.pending.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.step().finally(() => { this.running = undefined; });
    }, delayMs);
    this.timer.unref();
  }

  private async step(): Promise<void> {
    const t0 = performance.now();
    let pause = 0;
    try {
      await this.writeChunk();
      this.failures = 0;
      const took = performance.now() - t0;
      const busy = this.pending.size < this.maxPending && this.options.busy();
      pause = busy ? (took * (1 - this.busyShare)) / this.busyShare : 0;
    } catch (err) {
      this.failures++;
      if (this.failures === 1 || this.failures % 20 === 0) this.options.onError?.(err, this.pending.size);
      pause = Math.min(5000, 100 * this.failures);
    }
    if (!this.stopped) {
      this.running = undefined;
      this.schedule(pause);
    }
  }

  /** Writes the oldest `chunk` waiting, one write at a time; they stay waiting if the write fails (every write here is idempotent). */
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
    await writeEngagementFields(this.store, batch);
    for (const f of batch) {
      const key = `${f.kind}:${f.sendLogId}`;
      if (this.pending.get(key) === f) this.pending.delete(key);
    }
  }
}
