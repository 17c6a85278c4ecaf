// What the ledger holds on one member, for privacy requests: the export reads it, erasure
// scrubs the address from send logs and queued batches and forgets its suppressions.
import type { Types } from 'mongoose';
import type { Store } from '../store/index.ts';
import { ledgerModels, type BatchRecipient } from './models.ts';
import { packRecipients, unpackRecipients, type StoredRecipients } from './batches.ts';
import { sendsOfMember } from './send-log.ts';
import { forgetAddress, suppressionsOf } from './suppressions.ts';
import { outcomesOfSends } from './results.ts';

/** A member's sends, their delivery outcomes and the suppressions of their address. */
export async function ledgerRecordOf(store: Store, memberId: Types.ObjectId, email: string) {
  const sends = await sendsOfMember(store, memberId);
  const results = (await outcomesOfSends(store, sends.map((s) => s._id))).map((o) => ({ sendLogId: o.sendLogId, status: o.status, at: o.at, reason: o.reason }));
  return { sends, results, suppressions: await suppressionsOf(store, email) };
}

/**
 * Remove a member's address from the ledger: send-log records get `placeholder`, lose their
 * payload and move to the member's new anonymous id (their keys named the old one, which was
 * derived from the address); queued batches' copies of the recipient are scrubbed; the address's
 * suppressions become one keyed hash, so the address stays suppressed if it is ever imported again.
 */
export async function eraseMemberFromLedger(store: Store, erasure: { memberId: Types.ObjectId; newMemberId: Types.ObjectId; email: string; placeholder: string; secret: string; at: Date }): Promise<{ sendsScrubbed: number }> {
  const { memberId, newMemberId, email, placeholder } = erasure;
  const { SendLog, SendBatch, BatchRecipients } = await ledgerModels(store);
  let sendsScrubbed = 0;
  for (const log of await SendLog.find({ memberId }, { key: 1 }).lean()) {
    const key = log.key.split(String(memberId)).join(String(newMemberId));
    await SendLog.updateOne({ _id: log._id }, { $set: { email: placeholder, memberId: newMemberId, key }, $unset: { payload: 1 } });
    sendsScrubbed++;
  }
  const isErased = (r: BatchRecipient) => String(r.memberId) === String(memberId);
  const scrub = (recipients: BatchRecipient[]) => recipients.map((r) =>
    isErased(r) ? { ...r, memberId: newMemberId, email: placeholder, name: '', country: undefined, attributes: {} } : r,
  );
  // batches' packed recipients: only the database's copy can say whom they hold, so each is unpacked
  const packed = BatchRecipients.collection as unknown as import('mongodb').Collection<StoredRecipients>;
  for await (const doc of packed.find({ packed: { $exists: true } })) {
    const recipients = unpackRecipients(doc);
    if (recipients.some(isErased)) await packed.replaceOne({ _id: doc._id }, packRecipients(doc._id, scrub(recipients)));
  }
  // recipients written before packing (and those of batches written before they moved out of the batch)
  for (const model of [BatchRecipients, SendBatch]) {
    const batches = model.collection as unknown as import('mongodb').Collection<{ recipients?: BatchRecipient[] }>;
    for (const batch of await batches.find({ 'recipients.memberId': memberId }).toArray()) {
      await batches.updateOne({ _id: batch._id }, { $set: { recipients: scrub(batch.recipients ?? []) } });
    }
  }
  await forgetAddress(store, email, erasure.secret, erasure.at);
  return { sendsScrubbed };
}
