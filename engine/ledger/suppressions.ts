// Who must not be emailed, checked at send time: global unsubscribes, hard bounces,
// complaints and per-topic opt-outs all live in one collection keyed by address (#topic).
import { createHmac } from 'node:crypto';
import type { Store } from '../store/index.ts';
import { isDuplicateKeyError } from '../store/keyed-insert.ts';
import { ledgerModels } from './models.ts';

export type SuppressionReason = 'unsubscribed' | 'hard-bounce' | 'complaint' | 'manual' | 'topic-opt-out' | 'erased';

export function suppressionKey(email: string, topic?: string): string {
  return topic ? `${email.toLowerCase()}#${topic}` : email.toLowerCase();
}

/** The keys (global and topic) that would stop a send to `email` on `topic`. */
export function blockingKeys(email: string, topic?: string | null): string[] {
  return topic ? [suppressionKey(email), suppressionKey(email, topic)] : [suppressionKey(email)];
}

/** The suppressions that concern these addresses, as a set of keys. */
export async function suppressedKeys(store: Store, emails: readonly string[]): Promise<Set<string>> {
  if (emails.length === 0) return new Set();
  const { Suppression } = await ledgerModels(store);
  const rows = await Suppression.find({ email: { $in: [...new Set(emails.map((e) => e.toLowerCase()))] } }, { key: 1 }).lean();
  return new Set(rows.map((r) => r.key));
}

/** Record a suppression; idempotent (a second one for the same key keeps the first). True if new. */
export async function suppress(store: Store, email: string, reason: SuppressionReason, at: Date, options: { topic?: string; detail?: string } = {}): Promise<boolean> {
  const { Suppression } = await ledgerModels(store);
  try {
    await Suppression.create({ key: suppressionKey(email, options.topic), email, topic: options.topic, reason, at, detail: options.detail });
    return true;
  } catch (e) {
    if (isDuplicateKeyError(e)) return false;
    throw e;
  }
}

/** A member turned a topic back on. */
export async function liftTopicSuppression(store: Store, email: string, topic: string): Promise<void> {
  const { Suppression } = await ledgerModels(store);
  await Suppression.deleteOne({ key: suppressionKey(email, topic) });
}

/** Every suppression of one address (privacy export), without internal ids. */
export async function suppressionsOf(store: Store, email: string) {
  const { Suppression } = await ledgerModels(store);
  return Suppression.find({ email: email.toLowerCase() }, { _id: 0 }).lean();
}

/**
 * An erased address is remembered only as a keyed hash (HMAC with the installation secret):
 * enough to keep it suppressed when a later import brings it back, useless for recovering it
 * (unlike a plain hash, it cannot be tested against a list of likely addresses without the secret).
 */
export function forgottenKey(email: string, secret: string): string {
  return `forgotten:${createHmac('sha256', secret).update(email.trim().toLowerCase()).digest('hex')}`;
}

/** Replace every suppression of `email` with one keyed hash of it (idempotent). */
export async function forgetAddress(store: Store, email: string, secret: string, at: Date): Promise<void> {
  const { Suppression } = await ledgerModels(store);
  const key = forgottenKey(email, secret);
  try {
    await Suppression.create({ key, email: key, reason: 'erased', at });
  } catch (e) {
    if (!isDuplicateKeyError(e)) throw e;
  }
  await Suppression.deleteMany({ email: email.toLowerCase() });
}

/**
 * Which addresses were erased before: one read of the keyed hashes (a scan on the embedded
 * database, so once per import, not per row), then a pure check per address.
 */
export async function forgottenAddresses(store: Store, secret: string): Promise<(email: string) => boolean> {
  const { Suppression } = await ledgerModels(store);
  const keys = new Set((await Suppression.find({ reason: 'erased' }, { key: 1, _id: 0 }).lean()).map((r) => r.key));
  return (email) => keys.size > 0 && keys.has(forgottenKey(email, secret));
}
