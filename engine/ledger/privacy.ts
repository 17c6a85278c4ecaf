// What the ledger holds on one member, for privacy requests: the export reads it, erasure
// scrubs the address from send logs and queued batches and forgets its suppressions.
import type { Types } from 'mongoose';
import type { Store } from '../store/index.ts';
import { ledgerModels } from './models.ts';
import { sendsOfMember } from './send-log.ts';
import { suppressionsOf } from './suppressions.ts';

/** A member's sends, their delivery outcomes and the suppressions of their address. */
export async function ledgerRecordOf(store: Store, memberId: Types.ObjectId, email: string) {
  const { SendResult } = await ledgerModels(store);
  const sends = await sendsOfMember(store, memberId);
  const results = sends.length
    ? await SendResult.find({ sendLogId: { $in: sends.map((s) => s._id) } }, { _id: 0, sendLogId: 1, status: 1, at: 1, reason: 1 }).lean()
    : [];
  return { sends, results, suppressions: await suppressionsOf(store, email) };
}

/**
 * Remove a member's address from the ledger: send-log records get `placeholder` and lose their
 * payload, queued batches' copies of the recipient are scrubbed, the address's suppressions go.
 */
export async function eraseMemberFromLedger(store: Store, memberId: Types.ObjectId, email: string, placeholder: string): Promise<{ sendsScrubbed: number }> {
  const { SendLog, SendBatch, Suppression } = await ledgerModels(store);
  const res = await SendLog.updateMany({ memberId }, { $set: { email: placeholder }, $unset: { payload: 1 } });
  const batches = SendBatch.collection as unknown as import('mongodb').Collection<{ recipients?: Array<Record<string, unknown>> }>;
  for (const batch of await batches.find({ 'recipients.memberId': memberId }).toArray()) {
    const recipients = (batch.recipients ?? []).map((r) =>
      String(r.memberId) === String(memberId) ? { ...r, email: placeholder, name: '', country: null, attributes: {} } : r,
    );
    await batches.updateOne({ _id: batch._id }, { $set: { recipients } });
  }
  await Suppression.deleteMany({ email: email.toLowerCase() });
  return { sendsScrubbed: res.modifiedCount };
}
