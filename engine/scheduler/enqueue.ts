// Planned sends -> send-log records, shared payloads and batches. Every write is keyed, so
// planning the same sends twice writes nothing new: this is where "never twice" starts.
// Sends are written a batch at a time as planning produces them (BatchWriter): memory holds
// at most one unfilled batch per group, and a batch can be queued while planning goes on.
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
  /** batches just written, in order: queue them now (sending starts while planning goes on) */
  onBatches?(batches: Array<{ id: string; dueAt: Date; recipients: number }>): Promise<void>;
}

interface PendingSend { plan: PlannedSend; member: PlannerMember | undefined; payloadId: string }

/**
 * Writes planned sends as full batches while planning goes on. Sends are grouped by what a
 * batch shares (step, payload, due time); a group is written as soon as it holds a batch's
 * worth, the rest by `finish`. Per batch, in this order: its records under their unique keys
 * (only the inserts that win are ours), the payload (once per writer), then the batch.
 */
export class BatchWriter {
  private readonly groups = new Map<string, PendingSend[]>();
  private readonly payloadsStored = new Set<string>();
  private readonly result: EnqueueResult = { created: 0, existing: 0, batchIds: [] };

  constructor(private readonly store: Store, private readonly options: EnqueueOptions) {}

  /** Add planned sends (with the members they are for, to snapshot what rendering needs). */
  async add(planned: readonly PlannedSend[], members: ReadonlyMap<string, PlannerMember>): Promise<void> {
    for (const plan of planned) {
      const payload = payloadId(plan);
      const k = `${plan.campaign}\u0000${plan.step}\u0000${payload}\u0000${plan.dueAt.getTime()}`;
      let group = this.groups.get(k);
      if (!group) this.groups.set(k, (group = []));
      group.push({ plan, member: members.get(plan.memberId), payloadId: payload });
      if (group.length >= this.options.batchSize) {
        this.groups.delete(k);
        await this.write(group);
      }
    }
  }

  /** Write what is left (the last, partly filled batch of each group); what this writer did. */
  async finish(): Promise<EnqueueResult> {
    const rest = [...this.groups.values()];
    this.groups.clear();
    for (const group of rest) await this.write(group);
    return this.result;
  }

  private async write(sends: PendingSend[]): Promise<void> {
    const batchId = new Types.ObjectId();
    // The batch id is on each record before the insert, so a record and its batch can't disagree.
    const records = sends.map(({ plan: p, payloadId: payload }) => {
      const _id = new Types.ObjectId();
      const doc: PlannedSendRecord = {
        _id, key: sendLogKey(p), campaign: p.campaign, step: p.step, occurrence: p.occurrence,
        memberId: new Types.ObjectId(p.memberId), email: p.email, program: p.program, category: p.category,
        topic: p.topic, template: p.template, status: 'pending', dueAt: p.dueAt,
        messageId: `${_id.toHexString()}.${slug(p.campaign)}@${this.options.messageIdDomain}`,
        payloadId: payload, payload: p.data.itemIds ? { itemIds: p.data.itemIds } : undefined,
        batchId,
      };
      return doc;
    });
    const rejected = await recordPlannedSends(this.store, records);
    this.result.existing += rejected.size;
    const fresh = sends.map((s, i) => ({ ...s, doc: records[i]! })).filter((_, i) => !rejected.has(i));
    if (fresh.length === 0) return;
    this.result.created += fresh.length;

    const first = fresh[0]!;
    if (!this.payloadsStored.has(first.doc.payloadId)) {
      const p = first.plan;
      await storePayloads(this.store, [{ _id: first.doc.payloadId, template: p.template, subject: p.subject, preheader: p.preheader, data: p.data, attachments: p.attachments ?? [] }]);
      this.payloadsStored.add(first.doc.payloadId);
    }

    const head = first.doc;
    const batch: BatchRecord = {
      _id: batchId, campaign: head.campaign, step: head.step, payloadId: head.payloadId, category: head.category,
      topic: head.topic, dueAt: head.dueAt, attempt: 1, createdAt: new Date(head.dueAt), updatedAt: new Date(head.dueAt),
      recipients: fresh.map((s) => snapshot(s.doc, s.member)),
    };
    await createBatches(this.store, [batch]);
    const written = { id: batchId.toHexString(), dueAt: head.dueAt };
    this.result.batchIds.push(written);
    await this.options.onBatches?.([{ ...written, recipients: fresh.length }]);
  }
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
