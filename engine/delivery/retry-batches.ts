// Recipients to try later move to a retry batch, due after their backoff; each keeps its
// Message-ID. Failed and merely held-back recipients go to separate batches, because only
// failures count towards the retry limit (`failures`); `attempt` numbers every hand-off.
import { Types } from 'mongoose';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/index.ts';
import { recordRetryBatch, type BatchRecipient, type RetryKind, type StoredBatch } from '../ledger/index.ts';

export interface RetryItem {
  r: BatchRecipient;
  delayMs: number;
  reason: string;
  /** a delivery failure (counts against the retry limit), or only held back (daily cap) */
  failed: boolean;
}

export interface HandOnDeps {
  store: Store;
  clock: Clock;
  schedule(batchId: string, at: Date): Promise<void>;
}

/**
 * Write the retry batches for `items` and queue them; `handedOn` is told which recipients went
 * to which batch (the caller records their 'retrying' results).
 */
export async function handOnForRetry(
  deps: HandOnDeps,
  batch: StoredBatch,
  run: number,
  items: readonly RetryItem[],
  handedOn: (item: RetryItem, retryBatchId: Types.ObjectId) => void,
): Promise<void> {
  const failuresSoFar = batch.failures ?? batch.attempt - 1;
  for (const kind of ['failed', 'held'] as RetryKind[]) {
    const group = items.filter((i) => i.failed === (kind === 'failed'));
    if (group.length === 0) continue;
    const now = deps.clock.now();
    const dueAt = new Date(now.getTime() + Math.max(...group.map((i) => i.delayMs)));
    const id = new Types.ObjectId();
    await recordRetryBatch(deps.store, {
      _id: id, campaign: batch.campaign, step: batch.step, payloadId: batch.payloadId, category: batch.category,
      topic: batch.topic, dueAt, attempt: batch.attempt + 1, failures: failuresSoFar + (kind === 'failed' ? 1 : 0),
      recipients: group.map((i) => i.r), retryOf: batch._id, retryRun: run, createdAt: now, updatedAt: now,
    });
    for (const i of group) handedOn(i, id);
    await deps.schedule(id.toHexString(), dueAt);
  }
}
