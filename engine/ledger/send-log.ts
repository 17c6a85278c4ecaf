// Send-log records: one per (campaign, step, member, occurrence), inserted under that key when
// the send is planned. Named queries for the planner's history, the frequency cap, tracking's
// first open/click, segments on engagement, campaign edits and privacy requests.
import { Types } from 'mongoose';
import type { Store } from '../store/index.ts';
import { insertKeyed } from '../store/keyed-insert.ts';
import { updateEachById } from '../store/update-by-id.ts';
import { ledgerModels } from './models.ts';
import { sentAtOfCampaign } from './results.ts';

/** A send-log record as the scheduler plans it. */
export interface PlannedSendRecord {
  _id: Types.ObjectId; key: string; campaign: string; step: string; occurrence: string;
  memberId: Types.ObjectId; email: string; program?: string; category: string; topic?: string; template: string;
  status: 'pending'; dueAt: Date; messageId: string; payloadId: string; payload?: Record<string, unknown>; batchId?: Types.ObjectId;
}

/** Insert planned sends under their unique keys; returns the indexes that were already recorded. */
export async function recordPlannedSends(store: Store, records: readonly PlannedSendRecord[]): Promise<Set<number>> {
  const { SendLog } = await ledgerModels(store);
  return insertKeyed(SendLog.collection, records.map(storedRecord));
}

/**
 * What a record stores: what its readers read. The template and payload id are the batch's
 * (a run reads them from there), and absent fields are left out rather than written as null:
 * on the embedded database every value costs at insert, and these four were about a third of a
 * record's insert cost (5,000 records: 0.36-0.38 s of database CPU against 0.53-0.72 s).
 */
function storedRecord(r: PlannedSendRecord): Omit<PlannedSendRecord, 'template' | 'payloadId'> {
  const { template: _template, payloadId: _payloadId, payload, program, topic, ...kept } = r;
  return { ...kept, ...(program !== undefined ? { program } : {}), ...(topic !== undefined ? { topic } : {}), ...(payload !== undefined ? { payload } : {}) };
}

/** One send of a campaign as the planner's history sees it: 'sent' once a result says so. */
export interface CampaignSend {
  memberId: string; step: string; occurrence: string; status: string;
  sentAt?: Date; firstOpenedAt?: Date; firstClickedAt?: Date; payload?: unknown;
}

/**
 * Every send-log record of a campaign with its outcome (sent, or the record's own status);
 * with `memberIds`, only those members' records (the tick plans a few members, not all).
 * Outcomes are read from the campaign's result pages (a document per hundred outcomes).
 */
export async function campaignSends(store: Store, campaign: string, memberIds?: readonly Types.ObjectId[]): Promise<CampaignSend[]> {
  const { SendLog } = await ledgerModels(store);
  const records = await SendLog.find(memberIds ? { campaign, memberId: { $in: memberIds } } : { campaign }, { memberId: 1, step: 1, occurrence: 1, status: 1, dueAt: 1, firstOpenedAt: 1, firstClickedAt: 1, payload: 1 }).lean();
  if (memberIds && records.length === 0) return [];
  const sentAt = await sentAtOfCampaign(store, campaign);
  // Outcomes live in results; a record without a 'sent' result is still pending (or cancelled).
  return records.map((r) => ({
    memberId: String(r.memberId), step: r.step, occurrence: r.occurrence ?? '',
    status: sentAt.has(String(r._id)) ? 'sent' : r.status,
    sentAt: sentAt.get(String(r._id)), firstOpenedAt: r.firstOpenedAt ?? undefined, firstClickedAt: r.firstClickedAt ?? undefined, payload: r.payload,
  }));
}

/** Sends due since `since` (planned or out, not cancelled), per member: what the frequency cap counts. */
export async function sendsDueSince(store: Store, since: Date): Promise<Array<{ memberId: string; dueAt: Date; category: string }>> {
  const { SendLog } = await ledgerModels(store);
  const rows = await SendLog.find({ dueAt: { $gte: since }, status: { $ne: 'cancelled' } }, { memberId: 1, dueAt: 1, category: 1 }).lean();
  return rows.map((r) => ({ memberId: String(r.memberId), dueAt: r.dueAt, category: r.category ?? 'marketing' }));
}

/** Member and program of each send-log record of a step, by record id (counter repairs). */
export async function sendMembersOfStep(store: Store, campaign: string, step: string): Promise<Map<string, { memberId: string; program?: string }>> {
  const { SendLog } = await ledgerModels(store);
  const rows = await SendLog.find({ campaign, step }, { memberId: 1, program: 1 }).lean();
  return new Map(rows.map((r) => [String(r._id), { memberId: String(r.memberId), program: r.program ?? undefined }]));
}

/** How many members have a record of this step (whatever its outcome). */
export async function countSendsOfStep(store: Store, campaign: string, step: string): Promise<number> {
  const { SendLog } = await ledgerModels(store);
  return SendLog.countDocuments({ campaign, step });
}

/** Cancel the pending sends of a campaign (or of some of its steps); returns how many. */
export async function cancelPendingSends(store: Store, campaign: string, steps: readonly string[] | undefined, reason: string): Promise<number> {
  const { SendLog } = await ledgerModels(store);
  const filter: Record<string, unknown> = { campaign, status: 'pending' };
  if (steps) filter.step = { $in: steps };
  const res = await SendLog.updateMany(filter, { $set: { status: 'cancelled', error: reason } });
  return res.modifiedCount;
}

/** What a tracked link needs to know about the send it came from. */
export async function sendForTracking(store: Store, sendLogId: string): Promise<{ campaign: string; step: string; program?: string; topic?: string; memberId: string; email: string } | undefined> {
  const { SendLog } = await ledgerModels(store);
  const r = await SendLog.findById(sendLogId, { campaign: 1, step: 1, program: 1, topic: 1, memberId: 1, email: 1 }).lean();
  return r ? { campaign: r.campaign, step: r.step, program: r.program ?? undefined, topic: r.topic ?? undefined, memberId: String(r.memberId), email: r.email } : undefined;
}

export async function recordFirstOpen(store: Store, sendLogId: string, at: Date): Promise<void> {
  const { SendLog } = await ledgerModels(store);
  await SendLog.updateOne({ _id: sendLogId }, { $set: { firstOpenedAt: at } });
}

export async function recordFirstClick(store: Store, sendLogId: string, at: Date): Promise<void> {
  const { SendLog } = await ledgerModels(store);
  await SendLog.updateOne({ _id: sendLogId }, { $set: { firstClickedAt: at } });
}

/**
 * First opens and clicks of many sends at once (the tracking writer): one update per send, in one
 * round trip (a plain update command: store/update-by-id.ts). `$min`, so writing a send's first
 * engagement again (a retried write, a later hit of a send another process recorded first) never
 * moves it later.
 */
export async function recordFirstEngagements(store: Store, opens: ReadonlyArray<{ sendLogId: string; at: Date }>, clicks: ReadonlyArray<{ sendLogId: string; at: Date }>): Promise<void> {
  const { SendLog } = await ledgerModels(store);
  const bySend = new Map<string, { firstOpenedAt?: Date; firstClickedAt?: Date }>();
  const earlier = (a: Date | undefined, b: Date) => (a && a < b ? a : b);
  for (const o of opens) { const s = bySend.get(o.sendLogId) ?? {}; s.firstOpenedAt = earlier(s.firstOpenedAt, o.at); bySend.set(o.sendLogId, s); }
  for (const c of clicks) { const s = bySend.get(c.sendLogId) ?? {}; s.firstClickedAt = earlier(s.firstClickedAt, c.at); bySend.set(c.sendLogId, s); }
  // the driver's collection: ids cast here once instead of per operation by the model
  const id = (s: string) => (OBJECT_ID.test(s) ? new Types.ObjectId(s) : s);
  await updateEachById(store.db, SendLog.collection.collectionName, [...bySend].map(([sendLogId, min]) => ({ _id: id(sendLogId), update: { $min: min } })));
}
const OBJECT_ID = /^[0-9a-f]{24}$/;

/** Members who first opened (or clicked) a send of `campaign` between `since` and `until`. */
export async function membersWhoEngaged(store: Store, campaign: string, action: 'opened' | 'clicked', since: Date, until: Date): Promise<Types.ObjectId[]> {
  const { SendLog } = await ledgerModels(store);
  const field = action === 'opened' ? 'firstOpenedAt' : 'firstClickedAt';
  const rows = await SendLog.find({ campaign, [field]: { $gte: since, $lte: until } }, { memberId: 1 }).lean();
  return [...new Map(rows.map((r) => [String(r.memberId), r.memberId])).values()];
}

/** A member's sends, oldest first (privacy export). */
export async function sendsOfMember(store: Store, memberId: Types.ObjectId) {
  const { SendLog } = await ledgerModels(store);
  return SendLog.find({ memberId }, { _id: 1, campaign: 1, step: 1, occurrence: 1, status: 1, dueAt: 1, firstOpenedAt: 1, firstClickedAt: 1 })
    .sort({ dueAt: 1 })
    .lean();
}
