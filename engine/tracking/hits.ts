// What one pixel, click or survey hit is, as the HTTP handler records it: everything comes
// from the verified token and the request, nothing from the database.
import type { RecipientRef } from './tokens.ts';
import { classifyHit, type HitFacts } from './machine-rules.ts';

export type HitKind = 'open' | 'click' | 'csat';

export interface Hit {
  kind: HitKind;
  ref: RecipientRef;
  at: Date;
  /** the machine rule it matched, if any: rules that need only the hit at receipt, scanner bursts when flushed */
  rule?: string;
  userAgent: string;
  target?: string;
  score?: number;
}

/** Bounded memory of which sends Gmail's proxy already fetched (its first fetch is its own). */
export class ProxyFetchMemory {
  private readonly seen = new Map<string, number>();
  constructor(private readonly max = 100_000) {}
  /** How many earlier proxy fetches this send had; counts this one. */
  fetched(sendLogId: string): number {
    const n = this.seen.get(sendLogId) ?? 0;
    this.seen.delete(sendLogId);
    this.seen.set(sendLogId, n + 1);
    if (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value as string);
    return n;
  }
}

export function openFacts(method: string, userAgent: string, at: Date, ref: RecipientRef, earlierProxyFetches: number): HitFacts {
  return { method, userAgent, at, sentAt: ref.sentAt, earlierProxyFetches };
}

/** Classification of a hit by the rules that need only the hit itself. */
export function classifyAtReceipt(kind: HitKind, facts: HitFacts): string | undefined {
  const c = classifyHit(kind === 'open' ? 'open' : 'click', facts);
  return c.machine ? c.rule : undefined;
}
