// One campaign's engagement figures, as `flywheel report --campaign NAME --format json` gives
// them (engagement.byCampaign), over a period wide enough for any test's clock.
import { buildReport, type Report } from '../../engine/reports/report.ts';
import { engagementFigures } from '../../engine/reports/kpi.ts';
import { emptyTotals } from '../../engine/reports/metrics.ts';
import { systemClock } from '../../engine/clock.ts';
import type { Store } from '../../engine/store/index.ts';

export type CampaignFigures = Report['engagement']['byCampaign'][number];

export async function campaignFigures(store: Store, campaign: string): Promise<CampaignFigures> {
  const report = await buildReport(store, {
    campaign, from: '2000-01-01', to: '2099-12-31', now: systemClock.now(), calendar: { zone: 'UTC', holidays: [] }, campaigns: [],
  });
  return report.engagement.byCampaign.find((c) => c.campaign === campaign) ?? { campaign, kind: 'unknown', ...engagementFigures(emptyTotals()) };
}
