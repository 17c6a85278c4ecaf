// Member privacy: export everything we hold on one address; erase the personal data while
// keeping the document (so counters and send-log statistics stay consistent and anonymous).
import { Types } from 'mongoose';
import { InvalidInputError } from '../../errors.ts';
import type { Store } from '../../store/index.ts';
import { markMemberRecords } from '../../store/plan-marks.ts';
import { eraseMemberFromLedger, ledgerRecordOf } from '../../ledger/index.ts';

function notFound(email: string): InvalidInputError {
  return new InvalidInputError('MEMBER_UNKNOWN', `No member with email ${email}:`, [{ subject: email, message: 'not found (emails are matched case-insensitively)' }]);
}

/** Everything stored about one member, as plain JSON-able data. */
export async function exportMember(store: Store, email: string): Promise<Record<string, unknown>> {
  const address = email.trim().toLowerCase();
  const member = await store.models.Member.findOne({ email: address }).lean();
  if (!member) throw notFound(address);
  const { sends, results, suppressions } = await ledgerRecordOf(store, member._id, address);
  return { member: { ...member, _id: String(member._id) }, sends: sends.map((s) => ({ ...s, _id: String(s._id) })), results, suppressions };
}

/**
 * Remove personal data for `email`. The member document becomes anonymous (program, status and
 * dates stay, for counts) under a fresh random id: its old id was derived from the address (see
 * store/member-id.ts). Send-log records and queued batches follow it and lose the address; the
 * address's suppressions become one keyed hash (HMAC with `secret`), so a later import of the same
 * address stays suppressed. Counters are untouched. Old copies may remain in the database
 * files (SQLite free pages and write-ahead log) until the database rewrites them.
 */
export async function eraseMember(store: Store, email: string, now: Date, secret: string): Promise<{ memberId: string; sendsScrubbed: number }> {
  const address = email.trim().toLowerCase();
  const member = await store.models.Member.findOne({ email: address }).lean();
  if (!member) throw notFound(address);
  const newMemberId = new Types.ObjectId();
  const placeholder = `erased-${String(newMemberId)}@erased.invalid`;
  const anonymous = {
    ...member, _id: newMemberId, email: placeholder, name: '', tags: [], attributes: {}, locale: 'en', timezone: 'UTC',
    erasedAt: now, unsubscribedAt: member.unsubscribedAt ?? now, renewals: [], country: undefined, updatedAt: now,
  };
  delete anonymous.country;
  // the ledger first: a crash after it leaves the old document, and erasing again finishes the job
  const { sendsScrubbed } = await eraseMemberFromLedger(store, { memberId: member._id, newMemberId, email: address, placeholder, secret, at: now });
  await store.models.Member.deleteOne({ _id: member._id });
  await store.models.Member.collection.insertOne(anonymous);
  // a raw insert skips the model's hooks: mark the new document (membership reports follow marks)
  await markMemberRecords(store.db, { members: [String(newMemberId)] });
  return { memberId: String(newMemberId), sendsScrubbed };
}
