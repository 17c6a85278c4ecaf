// Who must not be emailed, checked at send time: global unsubscribes, hard bounces,
// complaints and per-topic opt-outs all live in one collection keyed by address (#topic).
import type { Store } from '../store/index.ts';

export type SuppressionReason = 'unsubscribed' | 'hard-bounce' | 'complaint' | 'manual' | 'topic-opt-out';

export function suppressionKey(email: string, topic?: string): string {
  return topic ? `${email.toLowerCase()}#${topic}` : email.toLowerCase();
}

/** The keys (global and topic) that would stop a send to `email` on `topic`. */
export function blockingKeys(email: string, topic?: string | null): string[] {
  return topic ? [suppressionKey(email), suppressionKey(email, topic)] : [suppressionKey(email)];
}

/** Load the suppressions that concern these addresses, as a set of keys. */
export async function loadSuppressed(store: Store, emails: string[]): Promise<Set<string>> {
  if (emails.length === 0) return new Set();
  const rows = await store.models.Suppression.find({ email: { $in: [...new Set(emails.map((e) => e.toLowerCase()))] } }, { key: 1 }).lean();
  return new Set(rows.map((r) => r.key));
}

/** Record a suppression; idempotent (a second one for the same key keeps the first). */
export async function suppress(store: Store, email: string, reason: SuppressionReason, at: Date, options: { topic?: string; detail?: string } = {}): Promise<boolean> {
  try {
    await store.models.Suppression.create({ key: suppressionKey(email, options.topic), email, topic: options.topic, reason, at, detail: options.detail });
    return true;
  } catch (e) {
    if ((e as { code?: number }).code === 11000) return false;
    throw e;
  }
}
