// A member's `_id` derived from its address, so an import can write a batch of members by
// `_id` (the only key the embedded database looks up without a scan) without first asking
// which of them exist. Members made before this, or elsewhere, keep their random ObjectId;
// import finds those by email as a fallback. Erasure moves a member to a fresh random id, so
// nothing derived from an erased address stays behind.
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';

export function memberIdForEmail(email: string): Types.ObjectId {
  const digest = createHash('sha256').update(`flywheel-member:${email.trim().toLowerCase()}`).digest();
  return new Types.ObjectId(digest.subarray(0, 12));
}

/** The stored `_id` a string id names: an ObjectId when it is one's 24 hex digits, else the string itself. */
export function storedId(id: string): Types.ObjectId | string {
  return /^[0-9a-f]{24}$/.test(id) ? new Types.ObjectId(id) : id;
}
