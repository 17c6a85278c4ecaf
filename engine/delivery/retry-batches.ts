// Recipients to try later move to a retry batch, due after their backoff; each keeps its
// Message-ID. Failed and merely held-back recipients go to separate batches, because only
// failures count towards the retry limit (`failures`); `attempt` numbers every hand-off.
// A retry batch is written before the results that say "handed on" (two writes, no
// transaction), so its id derives from (batch, attempt, run, kind): a later run of the same
// batch finds what a dead run handed on by `_id` and does not send those recipients itself.
import type { Types } from 'mongoose';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/index.ts';
import { recordRetryBatch, retryBatchesOfEarlierRuns, retryBatchId, type BatchRecipient, type RetryKind, type StoredBatch } from '../ledger/index.ts';

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
    const id = retryBatchId(batch._id, batch.attempt, run, kind);
    await recordRetryBatch(deps.store, {
      _id: id, campaign: batch.campaign, step: batch.step, payloadId: batch.payloadId, category: batch.category,
      topic: batch.topic, dueAt, attempt: batch.attempt + 1, failures: failuresSoFar + (kind === 'failed' ? 1 : 0),
      recipients: group.map((i) => i.r), retryOf: batch._id, retryRun: run, createdAt: now, updatedAt: now,
    });
    for (const i of group) handedOn(i, id);
    await deps.schedule(id.toHexString(), dueAt);
  }
}

/**
 * Recipients an earlier run of this batch handed on to a retry batch without recording it
 * (it died between the two writes): they belong to that retry batch now. Queues the retry
 * batches that are not finished (their job may never have been queued).
 */
export async function handedOnByEarlierRuns(
  deps: HandOnDeps,
  batch: StoredBatch,
  run: number,
  settled: ReadonlySet<string>,
): Promise<Array<{ r: BatchRecipient; retryBatchId: Types.ObjectId }>> {
  const out: Array<{ r: BatchRecipient; retryBatchId: Types.ObjectId }> = [];
  for (const retry of await retryBatchesOfEarlierRuns(deps.store, batch, run)) {
    for (const r of retry.recipients) if (!settled.has(String(r.sendLogId))) out.push({ r, retryBatchId: retry._id });
    if (!retry.finishedAt) await deps.schedule(retry._id.toHexString(), retry.dueAt);
  }
  return out;
}
