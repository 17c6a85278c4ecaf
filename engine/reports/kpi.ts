// Engagement KPIs: the derived figures (delivered, open rate, CTOR, CSAT average) from
// rollup sums. Pure: every function takes totals and returns numbers.
import type { RollupTotals } from './metrics.ts';

export interface EngagementFigures extends RollupTotals {
  /** sent minus the bounces reported after sending: what reached a mailbox as far as we know */
  delivered: number;
  /** every open: human + machine */
  opens: number;
  /** unique opens / delivered */
  openRate: number;
  /** unique clicks / delivered */
  clickRate: number;
  /** click-to-open rate: unique clicks / unique opens */
  ctor: number;
  unsubscribeRate: number;
  /** bounces / (sent + failed): every address we tried */
  bounceRate: number;
  /** average satisfaction score; null when nobody answered */
  csatAverage: number | null;
}

const ratio = (n: number, d: number) => (d > 0 ? n / d : 0);

export function engagementFigures(t: RollupTotals): EngagementFigures {
  const delivered = Math.max(0, t.sent - t.bouncedAfterSend);
  return {
    ...t,
    delivered,
    opens: t.humanOpens + t.machineOpens,
    openRate: ratio(t.uniqueOpens, delivered),
    clickRate: ratio(t.uniqueClicks, delivered),
    ctor: ratio(t.uniqueClicks, t.uniqueOpens),
    unsubscribeRate: ratio(t.unsubscribes, delivered),
    bounceRate: ratio(t.bounces, t.sent + t.failed),
    csatAverage: t.csatCount > 0 ? t.csatSum / t.csatCount : null,
  };
}
