// Payloads (what the recipients of a step share, stored once by content hash) and batches (a
// chunk of recipients due at one time: the unit a worker sends). Retry batches are keyed: their
// id derives from the batch, attempt and run that handed the recipients on, so a later run can
// find them by `_id` and a crash between writing one and recording its results loses nothing.
import { createHash } from 'node:crypto';
import { Types, type mongo } from 'mongoose';
import type { Store } from '../store/index.ts';
import { insertKeyed } from '../store/keyed-insert.ts';
import { ledgerModels, type BatchRecipient } from './models.ts';
import { packList, unpackList, type Packed } from './packed.ts';

export interface PayloadRecord {
  _id: string; template: string; subject: string; preheader?: string;
  data: Record<string, unknown>; attachments: Array<{ filename: string; contentType: string; content: string }>;
}

export interface BatchRecord {
  _id: Types.ObjectId; campaign: string; step: string; payloadId: string; category?: string | null; topic?: string | null;
  dueAt: Date; attempt: number; failures?: number; recipients: BatchRecipient[];
  retryOf?: Types.ObjectId; retryRun?: number; createdAt: Date; updatedAt: Date;
}

/** A batch as a run reads it. */
export type StoredBatch = Omit<BatchRecord, 'createdAt' | 'updatedAt'> & { finishedAt?: Date | null };

/** Store payloads under their content hash; one already stored is left as it is. */
export async function storePayloads(store: Store, payloads: readonly PayloadRecord[]): Promise<void> {
  const { Payload } = await ledgerModels(store);
  await insertKeyed(Payload.collection, payloads);
}

export async function payloadById(store: Store, id: string): Promise<PayloadRecord | undefined> {
  const { Payload } = await ledgerModels(store);
  return ((await Payload.findById(id).lean()) as PayloadRecord | null) ?? undefined;
}

/** A batch's recipients as stored in batch_recipients: packed (packed.ts), or an array before packing. */
export interface StoredRecipients { _id: Types.ObjectId; packed?: Packed; recipients?: BatchRecipient[] }

export function packRecipients(batchId: Types.ObjectId, recipients: readonly BatchRecipient[]): StoredRecipients {
  return { _id: batchId, packed: packList(recipients) };
}

/** The recipients a stored document holds, packed or not. */
export function unpackRecipients(doc: Omit<StoredRecipients, '_id'>): BatchRecipient[] {
  return doc.packed ? unpackList<BatchRecipient>(doc.packed) : (doc.recipients ?? []);
}

/** A batch as two documents: the small control document, and its recipients under the same `_id`. */
function split(batch: BatchRecord): { control: Omit<BatchRecord, 'recipients'>; recipients: StoredRecipients } {
  const { recipients, ...control } = batch;
  return { control, recipients: packRecipients(batch._id, recipients) };
}

/**
 * Insert the first batches of newly planned sends (fresh ids: nothing to collide with). The
 * recipients go first: a control document, once it exists, is a batch a worker may run.
 */
export async function createBatches(store: Store, batches: readonly BatchRecord[]): Promise<void> {
  if (batches.length === 0) return;
  const { SendBatch, BatchRecipients } = await ledgerModels(store);
  const parts = batches.map(split);
  await BatchRecipients.collection.insertMany(parts.map((p) => p.recipients) as never[], { ordered: false });
  await SendBatch.collection.insertMany(parts.map((p) => p.control) as never[], { ordered: false });
}

/** Give control documents their recipients (those written before the split hold their own). */
async function withRecipients(store: Store, batches: Array<Omit<StoredBatch, 'recipients'> & { recipients?: BatchRecipient[] }>): Promise<StoredBatch[]> {
  const missing = batches.filter((b) => !b.recipients?.length).map((b) => b._id);
  if (missing.length === 0) return batches as StoredBatch[];
  const { BatchRecipients } = await ledgerModels(store);
  const stored = BatchRecipients.collection as unknown as mongo.Collection<StoredRecipients>;
  const docs = missing.length === 1 ? [await stored.findOne({ _id: missing[0]! })] : await stored.find({ _id: { $in: missing } }).toArray();
  const byId = new Map(docs.filter((d) => d !== null).map((d) => [String(d!._id), unpackRecipients(d!)]));
  return batches.map((b) => (b.recipients?.length ? b : { ...b, recipients: byId.get(String(b._id)) ?? [] }) as StoredBatch);
}

export async function batchById(store: Store, id: string | Types.ObjectId): Promise<StoredBatch | undefined> {
  const { SendBatch } = await ledgerModels(store);
  const control = (await SendBatch.findById(id).lean()) as unknown as StoredBatch | null;
  return control ? (await withRecipients(store, [control]))[0] : undefined;
}

export async function markBatchFinished(store: Store, id: Types.ObjectId, at: Date): Promise<void> {
  const { SendBatch } = await ledgerModels(store);
  await SendBatch.updateOne({ _id: id }, { $set: { finishedAt: at } });
}

/**
 * A batch put off to `until` (its campaign is paused, its run lost the lease) is due then: the
 * sweep looks for overdue batches, and must not take a postponed one for a lost one.
 */
export async function postponeBatch(store: Store, id: Types.ObjectId, until: Date): Promise<void> {
  const { SendBatch } = await ledgerModels(store);
  await SendBatch.updateOne({ _id: id }, { $set: { dueAt: until } });
}

/** Unfinished batches due before `before` (their job was lost or their worker died). */
export async function overdueBatchIds(store: Store, before: Date): Promise<string[]> {
  const { SendBatch } = await ledgerModels(store);
  const rows = await SendBatch.find({ finishedAt: null, dueAt: { $lte: before } }, { _id: 1 }).lean();
  return rows.map((b) => String(b._id));
}

/** Unfinished batches of one step (a send that stopped part-way, e.g. when the database died). */
export async function unfinishedBatchesOfStep(store: Store, campaign: string, step: string): Promise<Array<{ id: string; dueAt: Date }>> {
  const { SendBatch } = await ledgerModels(store);
  const rows = await SendBatch.find({ campaign, step, finishedAt: null }, { _id: 1, dueAt: 1 }).lean();
  return rows.map((b) => ({ id: String(b._id), dueAt: b.dueAt }));
}

/** Batches not yet finished and due by `now`. */
export async function countUnfinishedBatchesDue(store: Store, now: Date): Promise<number> {
  const { SendBatch } = await ledgerModels(store);
  return SendBatch.countDocuments({ finishedAt: null, dueAt: { $lte: now } });
}

/** Failed recipients and recipients only held back (daily cap) go to separate retry batches. */
export type RetryKind = 'failed' | 'held';
const RETRY_KINDS: readonly RetryKind[] = ['failed', 'held'];

/** The id of the retry batch that run `run` of a batch (at `attempt`) hands recipients on to. */
export function retryBatchId(batchId: Types.ObjectId | string, attempt: number, run: number, kind: RetryKind): Types.ObjectId {
  const hex = createHash('sha256').update(`retry:${String(batchId)}:${attempt}:${run}:${kind}`).digest('hex').slice(0, 24);
  return new Types.ObjectId(hex);
}

/** Write a retry batch under its derived id; false if that run already wrote it. */
export async function recordRetryBatch(store: Store, batch: BatchRecord): Promise<boolean> {
  const { SendBatch, BatchRecipients } = await ledgerModels(store);
  const { control, recipients } = split(batch);
  // both keyed: a run that died between the two writes is repeated by the next run harmlessly
  await insertKeyed(BatchRecipients.collection, [recipients]);
  const duplicate = await insertKeyed(SendBatch.collection, [control]);
  return !duplicate.has(0);
}

/** The retry batches earlier runs (1 .. run-1) of this batch wrote: one `_id` lookup. */
export async function retryBatchesOfEarlierRuns(store: Store, batch: { _id: Types.ObjectId; attempt: number }, run: number): Promise<StoredBatch[]> {
  if (run <= 1) return [];
  const { SendBatch } = await ledgerModels(store);
  const ids: Types.ObjectId[] = [];
  for (let r = 1; r < run; r++) for (const kind of RETRY_KINDS) ids.push(retryBatchId(batch._id, batch.attempt, r, kind));
  return withRecipients(store, (await SendBatch.find({ _id: { $in: ids } }).lean()) as unknown as StoredBatch[]);
}
