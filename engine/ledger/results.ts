// Send results: the outcome of one attempt at one record, keyed `<sendLogId>:<attempt>`, so a
// result written twice (a retried flush, a run that overlapped another) is written once.
import type { Types } from 'mongoose';
import type { Store } from '../store/index.ts';
import { insertKeyed } from '../store/keyed-insert.ts';
import { ledgerModels, type SendResultDoc } from './models.ts';

export function resultKey(sendLogId: Types.ObjectId | string, attempt: number): string {
  return `${String(sendLogId)}:${attempt}`;
}

/** Insert results; returns how many were already recorded. */
export async function recordResults(store: Store, results: readonly SendResultDoc[]): Promise<number> {
  const { SendResult } = await ledgerModels(store);
  return (await insertKeyed(SendResult.collection, results)).size;
}

/** The send-log ids (of these) that already have a result for `attempt`: `_id` lookups only. */
export async function settledAtAttempt(store: Store, sendLogIds: ReadonlyArray<Types.ObjectId | string>, attempt: number): Promise<Set<string>> {
  if (sendLogIds.length === 0) return new Set();
  const { SendResult } = await ledgerModels(store);
  const rows = await SendResult.find({ _id: { $in: sendLogIds.map((id) => resultKey(id, attempt)) } }, { sendLogId: 1 }).lean();
  return new Set(rows.map((r) => String(r.sendLogId)));
}

/** Results of one step, counted by status (every attempt counts). */
export async function resultCountsOfStep(store: Store, campaign: string, step: string): Promise<Record<string, number>> {
  const { SendResult } = await ledgerModels(store);
  const rows = await SendResult.find({ campaign, step }, { status: 1 }).lean();
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

/** Messages delivered for a campaign. */
export async function countDelivered(store: Store, campaign: string): Promise<number> {
  const { SendResult } = await ledgerModels(store);
  return SendResult.countDocuments({ campaign, status: 'sent' });
}
