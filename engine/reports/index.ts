// The reports stage: counters kept at event time, rollups, KPIs, and the report in every format.
import type { Store } from '../store/index.ts';
import type { LoadedCampaign } from '../campaigns/index.ts';
import type { BusinessCalendar } from '../calendar/business-days.ts';
import { buildReport, type Report, type ReportCampaign } from './report.ts';

export { CounterBuffer } from './counters.ts';
export { buildReport, reportPeriod, type Report, type ReportOptions } from './report.ts';
export { reportCharts } from './charts.ts';
export { reportAsHtml, reportBody, htmlPage } from './format/html.ts';
export { reportAsText, reportAsCsv } from './format/text.ts';
export { rebuildRollups, recomputeRollups, compareRollups } from './rebuild.ts';
export { repairSendCounts, type SendCountRepair } from './repair.ts';

/** What a report needs to know of each campaign: its kind and attribution window. */
export function reportCampaigns(campaigns: readonly LoadedCampaign[]): ReportCampaign[] {
  return campaigns.map((c) => ({ name: c.name, kind: c.kind, attributionDays: (c.definition as { attributionDays?: number }).attributionDays }));
}

export interface ReportRequest { program?: string; campaign?: string; from?: string; to?: string }

/** Build the report for a request from the CLI or the HTTP server. */
export function reportFor(store: Store, campaigns: readonly LoadedCampaign[], calendar: BusinessCalendar, now: Date, request: ReportRequest): Promise<Report> {
  return buildReport(store, { ...request, now, calendar, campaigns: reportCampaigns(campaigns) });
}
