// Planned sends -> send-log records, shared payloads and batches. Every write is keyed, so
// planning the same sends twice writes nothing new: this is where "never twice" starts.
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import type { Store } from '../store/index.ts';
import type { PlannedSend, PlannerMember } from '../planner/index.ts';
import { createBatches, recordPlannedSends, storePayloads, type BatchRecipient, type BatchRecord, type PlannedSendRecord } from '../ledger/index.ts';

export function sendLogKey(p: Pick<PlannedSend, 'campaign' | 'step' | 'memberId' | 'occurrence'>): string {
  return `${p.campaign}:${p.step}:${p.memberId}:${p.occurrence}`;
}

/** Payloads are stored once per distinct content: the hash of what the template receives. */
export function payloadId(p: Pick<PlannedSend, 'template' | 'subject' | 'preheader' | 'data' | 'attachments'>): string {
  return createHash('sha256').update(JSON.stringify([p.template, p.subject, p.preheader ?? '', p.data, p.attachments ?? []])).digest('base64url').slice(0, 24);
}

export interface EnqueueResult {
  /** records newly created (sends that did not exist before) */
  created: number;
  /** sends already recorded by an earlier plan */
  existing: number;
  batchIds: Array<{ id: string; dueAt: Date }>;
}

export interface EnqueueOptions {
  batchSize: number;
  /** the domain part of Message-IDs */
  messageIdDomain: string;
  /** the members the sends are for, to snapshot what rendering needs */
  members: Map<string, PlannerMember>;
}

export async function enqueuePlanned(store: Store, planned: PlannedSend[], options: EnqueueOptions): Promise<EnqueueResult> {
  if (planned.length === 0) return { created: 0, existing: 0, batchIds: [] };

  // 1. Records first, under their unique keys: only the inserts that win are ours to batch.
  const records = planned.map((p) => {
    const _id = new Types.ObjectId();
    const doc: PlannedSendRecord = {
      _id, key: sendLogKey(p), campaign: p.campaign, step: p.step, occurrence: p.occurrence,
      memberId: new Types.ObjectId(p.memberId), email: p.email, program: p.program, category: p.category,
      topic: p.topic, template: p.template, status: 'pending', dueAt: p.dueAt,
      messageId: `${_id.toHexString()}.${slug(p.campaign)}@${options.messageIdDomain}`,
      payloadId: payloadId(p), payload: p.data.itemIds ? { itemIds: p.data.itemIds } : undefined,
      batchId: undefined,
    };
    return { doc, plan: p };
  });
  // Batch ids are assigned before the insert so a record and its batch can't disagree.
  const groups = new Map<string, typeof records>();
  for (const r of records) {
    const k = `${r.doc.campaign}\u0000${r.doc.step}\u0000${r.doc.payloadId}\u0000${r.doc.dueAt.getTime()}`;
    const list = groups.get(k) ?? [];
    list.push(r);
    groups.set(k, list);
  }
  const batches: Array<{ _id: Types.ObjectId; members: typeof records }> = [];
  for (const list of groups.values()) {
    for (let i = 0; i < list.length; i += options.batchSize) {
      const chunk = list.slice(i, i + options.batchSize);
      const _id = new Types.ObjectId();
      for (const r of chunk) r.doc.batchId = _id;
      batches.push({ _id, members: chunk });
    }
  }

  const rejected = await recordPlannedSends(store, records.map((r) => r.doc));
  const fresh = new Set(records.filter((_, i) => !rejected.has(i)).map((r) => r.doc._id.toHexString()));

  // 2. Payloads (shared, keyed by content hash).
  const payloads = new Map<string, PlannedSend>();
  for (const r of records) if (fresh.has(r.doc._id.toHexString())) payloads.set(r.doc.payloadId, r.plan);
  await storePayloads(store, [...payloads].map(([id, p]) => ({
    _id: id, template: p.template, subject: p.subject, preheader: p.preheader, data: p.data, attachments: p.attachments ?? [],
  })));

  // 3. Batches, holding only the records this plan created.
  const batchDocs: BatchRecord[] = batches
    .map((b) => ({ b, recipients: b.members.filter((r) => fresh.has(r.doc._id.toHexString())) }))
    .filter((x) => x.recipients.length > 0)
    .map(({ b, recipients }) => {
      const first = recipients[0]!.doc;
      return {
        _id: b._id, campaign: first.campaign, step: first.step, payloadId: first.payloadId, category: first.category,
        topic: first.topic, dueAt: first.dueAt, attempt: 1, createdAt: new Date(first.dueAt), updatedAt: new Date(first.dueAt),
        recipients: recipients.map((r) => snapshot(r.doc, options.members.get(r.plan.memberId))),
      };
    });
  await createBatches(store, batchDocs);

  return {
    created: fresh.size,
    existing: records.length - fresh.size,
    batchIds: batchDocs.map((b) => ({ id: b._id.toHexString(), dueAt: b.dueAt })),
  };
}

function snapshot(doc: PlannedSendRecord, m: PlannerMember | undefined): BatchRecipient {
  return {
    sendLogId: doc._id,
    occurrence: doc.occurrence,
    messageId: doc.messageId,
    memberId: doc.memberId,
    email: doc.email,
    name: m?.name ?? '',
    program: doc.program ?? m?.program ?? '',
    locale: m?.locale ?? 'en',
    timezone: m?.timezone ?? 'UTC',
    country: m?.country ?? undefined,
    expiresAt: m?.expiresAt ?? undefined,
    attributes: m?.attributes ?? {},
  };
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').slice(0, 40);
}
