// Counters kept at event time. Senders and tracking call `count(context, metric)`; the
// buffer keeps, per (day, campaign, step, program), the ABSOLUTE totals this process has
// counted, and a flush writes them with `$set` to this process's own shard documents.
//
// Why absolute values and not `$inc`: a bulk write can fail half-way (some documents written,
// others not) and we cannot tell which. Re-sending `$inc` deltas would count the written ones
// twice; re-sending `$set` of the same absolute numbers is harmless. A shard has exactly one
// writer (this buffer, one flush at a time), so no one else's numbers are overwritten.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/index.ts';
import { rawEventDeltas, type RawEventData, type RawEventType } from './raw-events.ts';
import { emptyTotals, reachMonth, rollupDay, ROLLUP_METRICS, type RollupContext, type RollupMetric, type RollupTotals } from './metrics.ts';
import { REACH_SHARDS, REMINDER_SHARDS, reachShardDoc, reminderRecordId, reminderShardDoc, type ReminderRecord } from './send-records.ts';

interface Shard {
  id: string;
  day: string;
  campaign: string;
  step: string;
  program: string;
  totals: RollupTotals;
  /** bumped on every count; a flush that wrote version v leaves the shard clean only if still v */
  version: number;
  flushedVersion: number;
}

/** This process's members reached in one program and month, or reminders of one campaign and month (see send-records.ts). */
interface RecordShard<T> {
  id: string; group: string; month: string; items: Map<string, T>; version: number; flushedVersion: number;
  /** the full shard this one continues (still asked whether a key was recorded) */
  previous?: RecordShard<T>;
}

/** Counted since its last successful write. */
const isDirty = (s: { version: number; flushedVersion: number }) => s.version !== s.flushedVersion;

/** Records per shard document: a flush rewrites a dirty shard whole, so an unbounded one made each flush of a long send cost more than the one before. */
const RECORDS_PER_SHARD = 5_000;

export interface CounterBufferOptions {
  /** flush on a timer (long-running processes); failures are logged and retried next time */
  flushEveryMs?: number;
  /** identity of this process's shards; random per process unless a test fixes it */
  writer?: string;
  log?: { error(obj: object, msg: string): void };
  /** clean shards kept in memory before the oldest are forgotten (a later count opens a new shard) */
  maxCleanShards?: number;
  /** records (members reached, reminders) per shard document before the next one is opened */
  recordsPerShard?: number;
}

export class CounterBuffer {
  readonly writer: string;
  private readonly shards = new Map<string, Shard>();
  private shardSeq = 0;
  private readonly reach = new Map<string, RecordShard<string>>();
  private readonly reminders = new Map<string, RecordShard<ReminderRecord>>();
  /** full shards not yet written since they filled (then only their successors are written) */
  private readonly fullShards = { reach: [] as RecordShard<string>[], reminders: [] as RecordShard<ReminderRecord>[] };
  private readonly recordsPerShard: number;
  private flushing: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private readonly log?: CounterBufferOptions['log'];
  private readonly maxCleanShards: number;
  /** flushes that failed since start (operators see them in logs; tests read this) */
  failedFlushes = 0;

  constructor(private readonly store: Store, options: CounterBufferOptions = {}) {
    this.writer = options.writer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.log = options.log;
    this.maxCleanShards = options.maxCleanShards ?? 20_000;
    this.recordsPerShard = options.recordsPerShard ?? RECORDS_PER_SHARD;
    if (options.flushEveryMs) {
      // The failure is logged inside flush(); the numbers stay buffered for the next tick.
      this.timer = setInterval(() => void this.flush().catch(() => {}), options.flushEveryMs);
      this.timer.unref();
    }
  }

  /** Count `by` of `metric` for one event. Cheap: memory only until the next flush. */
  count(ctx: RollupContext, metric: RollupMetric, by = 1): void {
    this.shardFor(ctx).totals[metric] += by;
    if (metric === 'sent' && ctx.memberId) {
      if (ctx.program) this.record(this.reach, this.fullShards.reach, ctx.program, ctx.at, ctx.memberId, ctx.memberId);
      if (ctx.renewalReminder) {
        const id = reminderRecordId(ctx.memberId, ctx.campaign, ctx.step, ctx.at);
        this.record(this.reminders, this.fullShards.reminders, ctx.campaign, ctx.at, id, { _id: id, memberId: ctx.memberId, campaign: ctx.campaign, step: ctx.step, at: ctx.at });
      }
    }
  }

  /** Count several metrics of one event at once, e.g. `{ csatCount: 1, csatSum: 4 }`. */
  countAll(ctx: RollupContext, deltas: Partial<Record<RollupMetric, number>>): void {
    for (const [metric, by] of Object.entries(deltas) as [RollupMetric, number][]) if (by) this.count(ctx, metric, by);
  }

  /** Count one raw event, or `times` alike ones (see raw-events.ts for the types and what each counts). */
  countEvent(ctx: RollupContext, type: RawEventType, data?: RawEventData, times = 1): void {
    const deltas = rawEventDeltas(type, data);
    if (times !== 1) for (const metric of Object.keys(deltas) as RollupMetric[]) deltas[metric]! *= times;
    this.countAll(ctx, deltas);
  }

  /** Numbers counted but not yet written (for shutdown logs and tests). */
  get unflushed(): number {
    let n = 0;
    for (const s of [...this.shards.values(), ...this.reach.values(), ...this.reminders.values(), ...this.fullShards.reach, ...this.fullShards.reminders]) if (isDirty(s)) n++;
    return n;
  }

  /** Write everything counted so far; resolves once it is durable. Flushes never overlap. */
  flush(): Promise<void> {
    const next = this.flushing.then(() => this.writeOnce());
    // A failed flush leaves its shards dirty (written again next time) and must not block later flushes.
    this.flushing = next.catch(() => {});
    return next;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  private shardFor(ctx: RollupContext): Shard {
    const day = rollupDay(ctx.at);
    const program = ctx.program ?? '';
    const key = `${day}|${ctx.campaign}|${ctx.step}|${program}`;
    let shard = this.shards.get(key);
    if (!shard) {
      // A new sequence number per shard: a key forgotten and counted again gets a fresh document
      // instead of overwriting the absolute numbers written before.
      shard = { id: `${key}|${this.writer}.${++this.shardSeq}`, day, campaign: ctx.campaign, step: ctx.step, program, totals: emptyTotals(), version: 0, flushedVersion: 0 };
      this.shards.set(key, shard);
    }
    shard.version++;
    return shard;
  }

  /** Add one item to this process's shard of `group` (program or campaign) and month; the first of a key wins. */
  private record<T>(shards: Map<string, RecordShard<T>>, full: RecordShard<T>[], group: string, at: Date, key: string, item: T): void {
    const month = reachMonth(at);
    const shardKey = `${group}|${month}`;
    let shard = shards.get(shardKey);
    for (let s = shard; s; s = s.previous) if (s.items.has(key)) return;
    if (!shard || shard.items.size >= this.recordsPerShard) {
      // a full shard is written once more if it has to be, then never again; its successor takes
      // the new records under a fresh sequence number (as for counter shards: never overwritten)
      if (shard) full.push(shard);
      shard = { id: `${shardKey}|${this.writer}.${++this.shardSeq}`, group, month, items: new Map(), version: 0, flushedVersion: 0, ...(shard ? { previous: shard } : {}) };
      shards.set(shardKey, shard);
    }
    shard.items.set(key, item);
    shard.version++;
  }

  private async writeOnce(): Promise<void> {
    const dirty = [...this.shards.values()].filter(isDirty);
    const reach = [...this.fullShards.reach, ...this.reach.values()].filter(isDirty);
    const reminders = [...this.fullShards.reminders, ...this.reminders.values()].filter(isDirty);
    if (dirty.length === 0 && reach.length === 0 && reminders.length === 0) return;
    const written = [...dirty, ...reach, ...reminders].map((s) => ({ shard: s, version: s.version }));
    // whole contents, replaced: the same absolute-value reasoning as the counters
    const replace = <D extends { _id: string }>(d: D) => ({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } });
    const ops = dirty.map((s) => ({
      updateOne: {
        filter: { _id: s.id },
        update: { $set: { day: s.day, campaign: s.campaign, step: s.step, program: s.program, shard: this.writer, ...s.totals } },
        upsert: true,
      },
    }));
    try {
      if (ops.length) await this.store.models.Rollup.bulkWrite(ops as never, { ordered: false });
      if (reach.length) await this.store.db.collection(REACH_SHARDS).bulkWrite(reach.map((r) => replace(reachShardDoc(r.id, this.writer, r.group, r.month, r.items.values()))) as never, { ordered: false });
      if (reminders.length) await this.store.db.collection(REMINDER_SHARDS).bulkWrite(reminders.map((r) => replace(reminderShardDoc(r.id, this.writer, r.group, r.month, r.items.values()))) as never, { ordered: false });
    } catch (err) {
      this.failedFlushes++;
      this.log?.error({ err, writer: this.writer, shards: dirty.length, reach: reach.length, reminders: reminders.length }, 'counter flush failed; the numbers stay buffered and are written again on the next flush');
      throw err;
    }
    for (const { shard, version } of written) shard.flushedVersion = version;
    this.fullShards.reach = this.fullShards.reach.filter(isDirty);
    this.fullShards.reminders = this.fullShards.reminders.filter(isDirty);
    this.forgetCleanShards();
  }

  private forgetCleanShards(): void {
    if (this.shards.size > this.maxCleanShards) {
      for (const [key, s] of this.shards) {
        if (this.shards.size <= this.maxCleanShards / 2) break;
        if (!isDirty(s)) this.shards.delete(key);
      }
    }
    // bounded memory for reach and reminders too: a later record of a forgotten key opens a new shard
    for (const shards of [this.reach, this.reminders] as Array<Map<string, RecordShard<unknown>>>) {
      let items = 0;
      for (const open of shards.values()) for (let s: RecordShard<unknown> | undefined = open; s; s = s.previous) items += s.items.size;
      if (items <= 200_000) continue;
      for (const [key, s] of shards) if (!isDirty(s)) shards.delete(key);
    }
  }
}

/** Every metric summed, in the canonical order (handy for assertions and CSV). */
export function metricsOf(doc: Partial<Record<RollupMetric, unknown>>): RollupTotals {
  const t = emptyTotals();
  for (const m of ROLLUP_METRICS) t[m] = Number(doc[m] ?? 0);
  return t;
}
