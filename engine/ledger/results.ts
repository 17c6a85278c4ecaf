// Send results: what happened to each attempt at each record, recorded as result pages (one
// document per flush of a batch run, `<batchId>:<run>:<seq>`; see models.ts). A page is written
// by one keyed insert, so a retried write is written once. Two runs of a batch may both record
// a recipient (a run that lost its lease had the message in flight): readers keep the first
// outcome of each `<sendLogId>:<attempt>`, as the per-outcome keys did before pages.
import type { Types } from 'mongoose';
import type { Store } from '../store/index.ts';
import { insertKeyed } from '../store/keyed-insert.ts';
import { ledgerModels, type ResultPageDoc, type SendOutcome, type SendResultDoc } from './models.ts';
import { packList, unpackList, type Packed } from './packed.ts';

export function resultKey(sendLogId: Types.ObjectId | string, attempt: number): string {
  return `${String(sendLogId)}:${attempt}`;
}

export function resultPageId(batchId: Types.ObjectId | string, run: number, seq: number): string {
  return `${String(batchId)}:${run}:${seq}`;
}

/**
 * Record one page of outcomes; false if that page was already written (a retried write). The
 * outcomes are stored packed (packed.ts): every plan of a campaign and every report rebuild
 * reads the pages back, and a packed page is one value to decode instead of five per outcome.
 */
export async function recordResultPage(store: Store, page: ResultPageDoc): Promise<boolean> {
  const { SendResult } = await ledgerModels(store);
  const { results, ...head } = page;
  return !(await insertKeyed(SendResult.collection, [{ ...head, count: results.length, packed: packList(results) }])).has(0);
}

type StoredResult = Partial<ResultPageDoc> & Partial<SendOutcome> & { _id: string; batchId: Types.ObjectId; campaign: string; step: string; packed?: Packed };

/** The outcomes a stored document holds: a page's entries (packed, or an array before packing), or the one outcome of the earliest shape. */
export function outcomesOf(doc: StoredResult): SendResultDoc[] {
  const base = { batchId: doc.batchId, campaign: doc.campaign, step: doc.step };
  const entries = doc.packed ? unpackList<SendOutcome>(doc.packed) : doc.results;
  if (Array.isArray(entries)) {
    const attempt = doc.attempt ?? 1;
    return entries.map((o) => ({ ...o, ...base, _id: resultKey(o.sendLogId, attempt) }));
  }
  return doc.sendLogId ? [{ ...(doc as SendResultDoc) }] : [];
}

/**
 * The outcomes of the documents `filter` finds, the first of each `<sendLogId>:<attempt>`, read a
 * few pages at a time in (batch, run, seq) order: the same outcome can only be recorded twice by
 * two runs of one batch, so what was seen is kept for one batch, not for all of them.
 */
async function* firstOutcomes(store: Store, filter: Record<string, unknown>): AsyncIterable<SendResultDoc> {
  const { SendResult } = await ledgerModels(store);
  let batch = '';
  let seen = new Set<string>();
  const pages = SendResult.find(filter).sort({ batchId: 1, run: 1, seq: 1 }).lean().cursor({ batchSize: 20 }) as AsyncIterable<unknown> as AsyncIterable<StoredResult>;
  for await (const page of pages) {
    if (String(page.batchId) !== batch) {
      batch = String(page.batchId);
      seen = new Set();
    }
    for (const o of outcomesOf(page)) {
      if (seen.has(o._id)) continue;
      seen.add(o._id);
      yield o;
    }
  }
}

/**
 * The records of a batch that earlier runs (1 .. run-1) settled: their pages read by `_id`, in
 * order, until the first one missing (pages of a run are written one after another). Outcomes of
 * the earlier one-per-document shape are looked up by their keys as well.
 */
export async function settledByEarlierRuns(store: Store, batch: { _id: Types.ObjectId; attempt: number; recipients: ReadonlyArray<{ sendLogId: Types.ObjectId }> }, run: number): Promise<Set<string>> {
  const settled = new Set<string>();
  if (run <= 1) return settled;
  const { SendResult } = await ledgerModels(store);
  for (let r = 1; r < run; r++) {
    for (let seq = 0; ; seq++) {
      const page = (await SendResult.findById(resultPageId(batch._id, r, seq)).lean()) as StoredResult | null;
      if (!page) break;
      for (const o of outcomesOf(page)) settled.add(String(o.sendLogId));
    }
  }
  const legacy = await SendResult.find({ _id: { $in: batch.recipients.map((x) => resultKey(x.sendLogId, batch.attempt)) } }, { sendLogId: 1 }).lean();
  for (const l of legacy) if (l.sendLogId) settled.add(String(l.sendLogId));
  return settled;
}

/** Every outcome recorded (for a campaign, or one of its steps), the first of each attempt. */
export async function recordedResults(store: Store, where: { campaign?: string; step?: string } = {}): Promise<SendResultDoc[]> {
  const filter: Record<string, string> = {};
  if (where.campaign) filter.campaign = where.campaign;
  if (where.step) filter.step = where.step;
  const out: SendResultDoc[] = [];
  for await (const o of firstOutcomes(store, filter)) out.push(o);
  return out;
}

/** Outcomes counted by status without holding them all (`flywheel send` prints these at the end of a send of any size). */
async function countOutcomes(store: Store, filter: Record<string, string>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for await (const o of firstOutcomes(store, filter)) counts[o.status] = (counts[o.status] ?? 0) + 1;
  return counts;
}

/** Results of one step, counted by status (every attempt counts). */
export async function resultCountsOfStep(store: Store, campaign: string, step: string): Promise<Record<string, number>> {
  return countOutcomes(store, { campaign, step });
}

/** Messages delivered for a campaign. */
export async function countDelivered(store: Store, campaign: string): Promise<number> {
  return (await countOutcomes(store, { campaign })).sent ?? 0;
}

/** When each record of a campaign was sent (its 'sent' outcome), by send-log id. */
export async function sentAtOfCampaign(store: Store, campaign: string): Promise<Map<string, Date>> {
  const out = new Map<string, Date>();
  for await (const o of firstOutcomes(store, { campaign })) if (o.status === 'sent' && !out.has(String(o.sendLogId))) out.set(String(o.sendLogId), o.at);
  return out;
}

/** The outcomes of these records (privacy export). */
export async function outcomesOfSends(store: Store, sendLogIds: readonly Types.ObjectId[]): Promise<SendResultDoc[]> {
  if (sendLogIds.length === 0) return [];
  // packed pages cannot be searched by the database: each is read and unpacked (a rare request)
  const wanted = new Set(sendLogIds.map(String));
  const out: SendResultDoc[] = [];
  for await (const o of firstOutcomes(store, { $or: [{ packed: { $exists: true } }, { 'results.sendLogId': { $in: sendLogIds } }, { sendLogId: { $in: sendLogIds } }] })) {
    if (wanted.has(String(o.sendLogId))) out.push(o);
  }
  return out;
}
