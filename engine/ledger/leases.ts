// Batch leases: one run of a batch at a time. A run inserts `<batchId>:<run>`; unique inserts
// are atomic everywhere, so exactly one worker wins each run number.
import type { Types } from 'mongoose';
import type { Store } from '../store/index.ts';
import { insertKeyed } from '../store/keyed-insert.ts';
import { ledgerModels } from './models.ts';

export interface BatchRun {
  /** the lease key, `<batchId>:<run>` */
  id: string;
  run: number;
}

/**
 * Claim the first run whose predecessor's lease has passed (or whose worker `holderGone` says is
 * no longer running); undefined while a live run holds the batch.
 */
export async function claimBatchRun(store: Store, batchId: Types.ObjectId, worker: string, now: Date, leaseMs: number, holderGone: (worker: string) => boolean = () => false): Promise<BatchRun | undefined> {
  const { BatchLease } = await ledgerModels(store);
  for (let run = 1; run < 1000; run++) {
    const id = `${batchId}:${run}`;
    const lost = await insertKeyed(BatchLease.collection, [{ _id: id, batchId, run, worker, leaseUntil: new Date(now.getTime() + leaseMs) }]);
    if (!lost.has(0)) return { id, run };
    const holder = await BatchLease.findById(id).lean();
    if (holder && holder.leaseUntil > now && !holderGone(holder.worker)) return undefined; // a live run holds the batch
    // that run is over (finished or died): try the next run number
  }
  return undefined;
}

/** Extend a run's lease to `until`. */
export async function extendBatchLease(store: Store, leaseId: string, until: Date): Promise<void> {
  const { BatchLease } = await ledgerModels(store);
  await BatchLease.updateOne({ _id: leaseId }, { $set: { leaseUntil: until } });
}

/** End a run's lease at `at` (the next run may start at once). */
export async function endBatchLease(store: Store, leaseId: string, at: Date): Promise<void> {
  const { BatchLease } = await ledgerModels(store);
  await BatchLease.updateOne({ _id: leaseId }, { $set: { leaseUntil: at } });
}
