// The report for a terminal (aligned tables) and for spreadsheets (CSV, one figure per row).
import { stringify } from 'csv-stringify/sync';
import type { Report } from '../report.ts';

const pct = (n: number | null) => (n === null ? '-' : `${(n * 100).toFixed(1)}%`);
const num = (n: number | null, digits = 1) => (n === null ? '-' : Number.isInteger(n) ? String(n) : n.toFixed(digits));

function table(title: string, header: string[], rows: Array<Array<string | number>>): string {
  if (rows.length === 0) return `${title}\n  (nothing in this period)\n`;
  const body = rows.map((r) => r.map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`.trimEnd();
  return [title, line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}

const ENGAGEMENT_HEADER = ['', 'SENT', 'DELIVERED', 'BOUNCED', 'OPENS H/M', 'UNIQUE OPENS', 'OPEN RATE', 'UNIQUE CLICKS', 'CTOR', 'UNSUBS', 'COMPLAINTS', 'RSVP YES', 'CSAT'];
type Figures = Report['engagement']['total'];
const engagementCells = (name: string, f: Figures) => [
  name, f.sent, f.delivered, f.bounces, `${f.humanOpens}/${f.machineOpens}`, f.uniqueOpens, pct(f.openRate), f.uniqueClicks, pct(f.ctor), f.unsubscribes, f.complaints, f.rsvpYes,
  f.csatAverage === null ? '-' : `${f.csatAverage.toFixed(2)} (${f.csatCount})`,
];

export function reportAsText(r: Report): string {
  const filters = [r.filters.program && `program ${r.filters.program}`, r.filters.campaign && `campaign ${r.filters.campaign}`].filter(Boolean).join(', ');
  return [
    `Flywheel report ${r.period.from} to ${r.period.to}${filters ? ` (${filters})` : ''}\n`,
    table('Engagement by campaign', ENGAGEMENT_HEADER, [...r.engagement.byCampaign.map((c) => engagementCells(c.campaign, c)), ...(r.engagement.byCampaign.length > 1 ? [engagementCells('all', r.engagement.total)] : [])]),
    table('Engagement by step', ENGAGEMENT_HEADER, r.engagement.byStep.map((s) => engagementCells(`${s.campaign} / ${s.step}`, s))),
    table('Engagement by program', ENGAGEMENT_HEADER, r.engagement.byProgram.map((p) => engagementCells(p.program, p))),
    table('Membership and retention', ['', 'NEW', 'ACTIVE AT END', 'RENEWALS DUE', 'RENEWED', 'LAPSED', 'PENDING', 'RENEWAL RATE', 'RETURNING YOY', 'AWARD MEDIAN (BD)', 'AWARD <= 10 BD', 'REACHED', 'RSVP YES', 'CASE-STUDY CLICKS', 'CSAT'],
      r.programs.map((p) => [p.program, p.newMembers, p.activeAtEnd, p.renewalsDue, p.renewed, p.lapsed, p.pending, pct(p.renewalRate), p.returningYearOverYear,
        num(p.timeToAward.medianBusinessDays), pct(p.timeToAward.withinTenBusinessDays), p.membersReached, p.participation.rsvpYes, p.participation.caseStudyClicks,
        p.csat.average === null ? '-' : `${p.csat.average.toFixed(2)} (${p.csat.count})`])),
    table('Renewal reminders: conversions', ['', 'REMINDERS', 'RENEWED WITHIN WINDOW', 'CONVERSION', 'MEDIAN DAYS TO RENEWAL', 'WINDOW (DAYS)'],
      r.attribution.map((a) => [`${a.campaign} / ${a.step}`, a.reminders, a.conversions, pct(a.conversionRate), num(a.medianDaysToRenewal), a.windowDays])),
  ].join('\n');
}

/** Every figure as one row: section, group, name, metric, value (pivots in any spreadsheet). */
export function reportAsCsv(r: Report): string {
  const rows: Array<[string, string, string, string, string | number]> = [];
  const push = (section: string, group: string, name: string, obj: object) => {
    for (const [metric, value] of Object.entries(obj)) {
      if (value === null || typeof value === 'number') rows.push([section, group, name, metric, value === null ? '' : value]);
      else if (typeof value === 'object' && !Array.isArray(value)) push(section, group, name, Object.fromEntries(Object.entries(value as object).map(([k, v]) => [`${metric}.${k}`, v])));
    }
  };
  push('engagement', 'total', 'all', r.engagement.total);
  for (const c of r.engagement.byCampaign) push('engagement', 'campaign', c.campaign, c);
  for (const s of r.engagement.byStep) push('engagement', 'step', `${s.campaign}/${s.step}`, s);
  for (const p of r.engagement.byProgram) push('engagement', 'program', p.program, p);
  for (const d of r.engagement.byDay) push('engagement', 'day', d.day, d);
  for (const p of r.programs) push('membership', 'program', p.program, p);
  for (const a of r.attribution) push('attribution', 'step', `${a.campaign}/${a.step}`, a);
  return stringify([['section', 'group', 'name', 'metric', 'value'], ...rows]);
}
