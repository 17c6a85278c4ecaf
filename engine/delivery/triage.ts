// Pure: which recipients of a batch run are sent now, and why the others are not. A run reads
// the facts (campaign state, what the planner still wants, suppressions, the daily quota) and
// asks these functions; they never touch the database, so every rule is unit-tested.
import type { BatchRecipient } from '../ledger/index.ts';
import { blockingKeys } from '../ledger/suppressions.ts';

export const SKIP_REASON = {
  cancelled: 'step or campaign removed',
  superseded: 'no longer due (the member changed since it was planned)',
  suppressed: 'suppressed or unsubscribed',
} as const;

export interface TriageFacts {
  /** the campaign was removed, or this step no longer exists in its file */
  cancelled: boolean;
  /** send-log ids the campaign no longer wants (a member renewed, left a drip's audience, ...) */
  superseded: ReadonlySet<string>;
  /** suppression keys that concern these recipients (see blockingKeys) */
  suppressed: ReadonlySet<string>;
  /** the batch's topic: a topic opt-out blocks it */
  topic?: string | null;
}

export interface Triage {
  skipped: Array<{ recipient: BatchRecipient; reason: string }>;
  sendable: BatchRecipient[];
}

/** Cancelled beats everything; then superseded; then suppressed (globally or for the topic). */
export function triageRecipients(recipients: readonly BatchRecipient[], facts: TriageFacts): Triage {
  if (facts.cancelled) return { skipped: recipients.map((recipient) => ({ recipient, reason: SKIP_REASON.cancelled })), sendable: [] };
  const out: Triage = { skipped: [], sendable: [] };
  for (const recipient of recipients) {
    if (facts.superseded.has(String(recipient.sendLogId))) out.skipped.push({ recipient, reason: SKIP_REASON.superseded });
    else if (blockingKeys(recipient.email, facts.topic).some((k) => facts.suppressed.has(k))) out.skipped.push({ recipient, reason: SKIP_REASON.suppressed });
    else out.sendable.push(recipient);
  }
  return out;
}

/** The daily quota granted `granted` sends: the first ones go now, the rest are held back. */
export function splitAtCap<T>(sendable: readonly T[], granted: number): { now: T[]; overCap: T[] } {
  const n = Math.max(0, Math.min(granted, sendable.length));
  return { now: sendable.slice(0, n), overCap: sendable.slice(n) };
}
