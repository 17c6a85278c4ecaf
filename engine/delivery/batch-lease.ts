// A run's hold on a batch: claimed by a keyed insert (`<batch>:<run>`), renewed while the run
// sends, ended when it stops. If renewals keep failing (a busy database) another worker may
// take the batch once the lease passes, so `safe()` turns false a third of a lease before that:
// the run stops starting sends and leaves the rest to the next run.
import { hostname } from 'node:os';
import type { Types } from 'mongoose';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/index.ts';
import { claimBatchRun, endBatchLease, extendBatchLease } from '../ledger/index.ts';
import { withDeadline } from '../store/health.ts';

/**
 * True when `worker` (`<host>-<pid>-<hex>`, see main.ts) ran on this machine and its process is
 * gone: its lease need not be waited out (a command that died with the database left its leases
 * running; the next command resumes the batch at once).
 */
export function workerIsGone(worker: string): boolean {
  const m = /^(.*)-(\d+)-[0-9a-f]+$/.exec(worker);
  if (!m || m[1] !== hostname()) return false;
  try {
    process.kill(Number(m[2]), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

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
    const claimed = await claimBatchRun(deps.store, batchId, deps.worker, deps.clock.now(), deps.leaseMs, workerIsGone);
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
