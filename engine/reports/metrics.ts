// What a rollup counts, per UTC day x campaign x step x program. Additive numbers only, so
// days, steps and writers' shards sum; rates (open rate, CTOR, CSAT average) are derived at
// read time from these sums.

import { ROLLUP_METRICS, type RollupMetric } from '../store/index.ts';
import { findKind } from '../campaigns/kinds/index.ts';

export { ROLLUP_METRICS, type RollupMetric };
export type RollupTotals = Record<RollupMetric, number>;

export function emptyTotals(): RollupTotals {
  return Object.fromEntries(ROLLUP_METRICS.map((m) => [m, 0])) as RollupTotals;
}

export function addTotals(into: RollupTotals, from: Partial<Record<RollupMetric, number | null | undefined>>): RollupTotals {
  for (const m of ROLLUP_METRICS) into[m] += Number(from[m] ?? 0);
  return into;
}

/** Where and when one event counts. `at` decides the day (UTC). */
export interface RollupContext {
  campaign: string;
  step: string;
  program?: string | null;
  at: Date;
  /** the member a send went to; `sent` with a member also marks them reached that month */
  memberId?: string;
  /** a renewal reminder: `sent` also records it for attribution */
  renewalReminder?: boolean;
}

/** The UTC calendar day of an instant, "YYYY-MM-DD": the rollups' time grain. */
export function rollupDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The UTC month of an instant, "YYYY-MM": the grain of "members reached". */
export function reachMonth(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/** Does this kind send renewal reminders (attribution)? The kind's module says (`reportsAs`). */
export const sendsRenewalReminders = (kind: string | undefined) => !!kind && findKind(kind)?.reportsAs === 'renewal-reminder';
/** Does this kind promote case studies (participation)? */
export const promotesCaseStudies = (kind: string | undefined) => !!kind && findKind(kind)?.reportsAs === 'case-study-promotion';
