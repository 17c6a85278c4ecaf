// Counters kept at event time. Writers add deltas to an in-process buffer; one flush at a
// time writes them to this process's own shard documents, so no two writers ever update
// the same document (FerretDB loses concurrent $inc). Readers sum the shards.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Store, CounterMetric } from '../store/index.ts';
import { COUNTER_METRICS } from '../store/index.ts';

export type CounterTotals = Record<CounterMetric, number>;

export function emptyTotals(): CounterTotals {
  return Object.fromEntries(COUNTER_METRICS.map((m) => [m, 0])) as CounterTotals;
}

/** Keys a single event counts under: the campaign, its step, and the member's program. */
export function counterKeys(e: { campaign: string; step?: string; program?: string }): string[] {
  const keys = [`campaign:${e.campaign}`];
  if (e.step) keys.push(`step:${e.campaign}:${e.step}`);
  if (e.program) keys.push(`program:${e.program}`);
  return keys;
}

export class CounterBuffer {
  readonly writer: string;
  private pending = new Map<string, Partial<CounterTotals>>();
  private flushing: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;

  constructor(private readonly store: Store, options: { flushEveryMs?: number; writer?: string } = {}) {
    this.writer = options.writer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    if (options.flushEveryMs) {
      this.timer = setInterval(() => void this.flush().catch(() => {}), options.flushEveryMs);
      this.timer.unref();
    }
  }

  add(keys: string[], metric: CounterMetric, by = 1): void {
    for (const key of keys) {
      const entry = this.pending.get(key) ?? {};
      entry[metric] = (entry[metric] ?? 0) + by;
      this.pending.set(key, entry);
    }
  }

  /** Write everything buffered so far; resolves once it is durable. Flushes never overlap. */
  flush(): Promise<void> {
    const next = this.flushing.then(() => this.writeOnce());
    // A failed flush keeps its deltas (re-queued in writeOnce) and must not block later flushes.
    this.flushing = next.catch(() => {});
    return next;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  private async writeOnce(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const ops = [...batch].map(([key, inc]) => ({
      updateOne: {
        filter: { _id: `${key}|${this.writer}` },
        update: { $inc: inc, $setOnInsert: { key, writer: this.writer } },
        upsert: true,
      },
    }));
    try {
      await this.store.models.Counter.bulkWrite(ops as never, { ordered: false });
    } catch (e) {
      // Nothing lost: put the deltas back for the next flush, then report.
      for (const [key, inc] of batch) {
        for (const [metric, n] of Object.entries(inc) as [CounterMetric, number][]) this.add([key], metric, n);
      }
      throw e;
    }
  }
}

/**
 * Sum every writer's shard for the given keys. The shards are few (keys x writers), so they
 * are summed here rather than with `$group`/`$sum`, which FerretDB 1.24 gets wrong when a
 * field mixes integer and double values across documents (it returned 0 for 6 + 1).
 */
export async function readCounters(store: Store, keys: string[]): Promise<Map<string, CounterTotals>> {
  const out = new Map<string, CounterTotals>();
  for (const key of keys) out.set(key, emptyTotals());
  const shards = await store.models.Counter.find({ key: { $in: keys } }).lean();
  for (const shard of shards) {
    const totals = out.get(shard.key)!;
    for (const m of COUNTER_METRICS) totals[m] += Number(shard[m] ?? 0);
  }
  return out;
}

/** Every counter key with a given prefix, e.g. all campaigns. */
export async function counterKeysWithPrefix(store: Store, prefix: string): Promise<string[]> {
  const keys = (await store.models.Counter.distinct('key', { key: { $regex: `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}` } })) as string[];
  return keys.sort();
}
