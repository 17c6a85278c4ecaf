// Member privacy: export everything we hold on one address; erase the personal data while
// keeping the document (so counters and send-log statistics stay consistent and anonymous).
import { InvalidInputError } from '../../errors.ts';
import type { Store } from '../../store/index.ts';
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
 * Remove personal data for `email`: the member keeps its id, program, status and dates
 * (anonymous, for counts) and gets a placeholder address; send-log records lose the address
 * and their payload; queued batch recipients are scrubbed; the suppression entry for the address is deleted. Counters are untouched.
 */
export async function eraseMember(store: Store, email: string, now: Date): Promise<{ memberId: string; sendsScrubbed: number }> {
  const address = email.trim().toLowerCase();
  const member = await store.models.Member.findOne({ email: address }).lean();
  if (!member) throw notFound(address);
  const placeholder = `erased-${String(member._id)}@erased.invalid`;
  await store.models.Member.updateOne(
    { _id: member._id },
    {
      $set: { email: placeholder, name: '', tags: [], attributes: {}, locale: 'en', timezone: 'UTC', erasedAt: now, unsubscribedAt: member.unsubscribedAt ?? now, renewals: [] },
      $unset: { country: 1 },
    },
  );
  const { sendsScrubbed } = await eraseMemberFromLedger(store, member._id, address, placeholder);
  return { memberId: String(member._id), sendsScrubbed };
}
