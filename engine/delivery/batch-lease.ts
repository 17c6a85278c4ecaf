// A run's hold on a batch: claimed by a keyed insert (`<batch>:<run>`), renewed while the run
// sends, ended when it stops. If renewals keep failing (a busy database) another worker may
// take the batch once the lease passes, so `safe()` turns false a third of a lease before that:
// the run stops starting sends and leaves the rest to the next run.
import type { Types } from 'mongoose';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/index.ts';
import { claimBatchRun, endBatchLease, extendBatchLease } from '../ledger/index.ts';
import { withDeadline } from '../store/health.ts';

export class BatchRunLease {
  private heldUntil: number;
  private readonly renewal: NodeJS.Timeout;

  private constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly leaseMs: number,
    readonly id: string,
    /** 1 for the first run of a batch; a higher number means earlier runs stopped or died */
    readonly run: number,
    log: Logger,
  ) {
    this.heldUntil = clock.now().getTime() + leaseMs;
    this.renewal = setInterval(() => {
      const until = clock.now().getTime() + leaseMs;
      extendBatchLease(store, id, new Date(until))
        .then(() => { this.heldUntil = Math.max(this.heldUntil, until); })
        .catch((err: unknown) => log.warn({ err, lease: id }, 'lease renewal failed'));
    }, Math.max(1000, leaseMs / 3));
    this.renewal.unref();
  }

  /** Claim the next run of a batch; undefined while another live run holds it. */
  static async claim(deps: { store: Store; clock: Clock; leaseMs: number; worker: string; log: Logger }, batchId: Types.ObjectId): Promise<BatchRunLease | undefined> {
    const claimed = await claimBatchRun(deps.store, batchId, deps.worker, deps.clock.now(), deps.leaseMs);
    return claimed && new BatchRunLease(deps.store, deps.clock, deps.leaseMs, claimed.id, claimed.run, deps.log);
  }

  /** True while the lease is surely ours for long enough to start (and record) one more send. */
  safe(): boolean {
    return this.clock.now().getTime() < this.heldUntil - this.leaseMs / 3;
  }

  /** Stop renewing and let the next run start at once. */
  async release(): Promise<void> {
    clearInterval(this.renewal);
    // bounded: with the database gone this must not hold the run up (the lease then simply passes)
    await withDeadline(endBatchLease(this.store, this.id, this.clock.now()), 2000).catch(() => {});
  }
}
