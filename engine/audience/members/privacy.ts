// Member privacy: export everything we hold on one address; erase the personal data while
// keeping the document (so counters and send-log statistics stay consistent and anonymous).
import { InvalidInputError } from '../../errors.ts';
import type { Store } from '../../store/index.ts';

function notFound(email: string): InvalidInputError {
  return new InvalidInputError('MEMBER_UNKNOWN', `No member with email ${email}:`, [{ subject: email, message: 'not found (emails are matched case-insensitively)' }]);
}

/** Everything stored about one member, as plain JSON-able data. */
export async function exportMember(store: Store, email: string): Promise<Record<string, unknown>> {
  const address = email.trim().toLowerCase();
  const member = await store.models.Member.findOne({ email: address }).lean();
  if (!member) throw notFound(address);
  const sends = await store.models.SendLog.find({ memberId: member._id }, { _id: 1, campaign: 1, step: 1, occurrence: 1, status: 1, dueAt: 1, firstOpenedAt: 1, firstClickedAt: 1 })
    .sort({ dueAt: 1 })
    .lean();
  // delivery outcomes live beside the send log (raw collection: its shape belongs to the delivery stage)
  const results = sends.length
    ? await store.db.collection('send_results').find({ sendLogId: { $in: sends.map((s) => s._id) } }, { projection: { _id: 0, sendLogId: 1, status: 1, at: 1, reason: 1 } }).toArray()
    : [];
  const suppressions = await store.models.Suppression.find({ email: address }, { _id: 0 }).lean();
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
  const res = await store.models.SendLog.updateMany({ memberId: member._id }, { $set: { email: placeholder }, $unset: { payload: 1 } });
  // queued batches carry a copy of recipient details: scrub this member from them too
  const batches = store.db.collection<{ recipients?: Array<Record<string, unknown>> }>('send_batches');
  for (const batch of await batches.find({ 'recipients.memberId': member._id }).toArray()) {
    const recipients = (batch.recipients ?? []).map((r) =>
      String(r.memberId) === String(member._id) ? { ...r, email: placeholder, name: '', country: null, attributes: {} } : r,
    );
    await batches.updateOne({ _id: batch._id }, { $set: { recipients } });
  }
  await store.models.Suppression.deleteMany({ email: address });
  return { memberId: String(member._id), sendsScrubbed: res.modifiedCount };
}
