// The report as one self-contained HTML file: inline styles, charts as inline SVG rendered
// on the server (charts.ts), tables for the exact figures. No script, no external resource.
import type { Report } from '../report.ts';
import type { Chart } from '../charts.ts';

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (n: number | null) => (n === null ? '–' : `${(n * 100).toFixed(1)}%`);
const num = (n: number | null) => (n === null ? '–' : Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(1));

export const REPORT_CSS = `
body{font:14px/1.45 Helvetica,Arial,sans-serif;color:#111827;margin:0;background:#f8fafc}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 10px}
.muted{color:#6b7280}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(128px,1fr));gap:10px;margin:16px 0}
.tile{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px 12px}
.tile b{display:block;font-size:20px}.tile span{color:#6b7280;font-size:12px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:14px}
figure{margin:0;background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px;overflow-x:auto}
figcaption{font-weight:bold;margin-bottom:6px}
table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e5e7eb;padding:5px 7px;text-align:right;white-space:nowrap}
th{white-space:normal;vertical-align:bottom;min-width:3.5em}
th:first-child,td:first-child{text-align:left}
th{background:#f1f5f9;font-weight:600}
.scroll{overflow-x:auto;border:1px solid #e5e7eb;border-radius:8px}
nav a{margin-right:14px}
`;

function table(header: string[], rows: Array<Array<string | number>>): string {
  if (rows.length === 0) return '<p class="muted">Nothing in this period.</p>';
  return `<div class="scroll"><table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}

type Figures = Report['engagement']['total'];
const ENGAGEMENT = ['', 'Sent', 'Delivered', 'Bounced', 'Opens (human / machine)', 'Unique opens', 'Open rate', 'Clicks', 'Unique clicks', 'CTOR', 'Unsubscribes', 'Complaints', 'RSVP yes', 'CSAT'];
const engagementRow = (name: string, f: Figures) => [
  name, num(f.sent), num(f.delivered), num(f.bounces), `${num(f.humanOpens)} / ${num(f.machineOpens)}`, num(f.uniqueOpens), pct(f.openRate), num(f.clicks), num(f.uniqueClicks),
  pct(f.ctor), num(f.unsubscribes), num(f.complaints), num(f.rsvpYes), f.csatAverage === null ? '–' : `${f.csatAverage.toFixed(2)} (${f.csatCount})`,
];

/** The body of the report (shared by the file and the `/reports` page). */
export function reportBody(r: Report, charts: Chart[]): string {
  const t = r.engagement.total;
  const decided = r.programs.reduce((a, p) => ({ renewed: a.renewed + p.renewed, lapsed: a.lapsed + p.lapsed }), { renewed: 0, lapsed: 0 });
  const allDays = r.programs.flatMap((p) => p.timeToAward.days).sort((a, b) => a - b);
  const median = allDays.length ? (allDays.length % 2 ? allDays[(allDays.length - 1) / 2]! : (allDays[allDays.length / 2 - 1]! + allDays[allDays.length / 2]!) / 2) : null;
  const tiles: Array<[string, string]> = [
    ['sent', num(t.sent)], ['delivered', num(t.delivered)], ['unique open rate', pct(t.openRate)], ['click-to-open', pct(t.ctor)],
    ['unsubscribes', num(t.unsubscribes)], ['new members', num(r.programs.reduce((n, p) => n + p.newMembers, 0))],
    ['renewal rate', pct(decided.renewed + decided.lapsed ? decided.renewed / (decided.renewed + decided.lapsed) : null)],
    ['median business days to award', num(median)],
  ];
  const filters = [r.filters.program && `program ${r.filters.program}`, r.filters.campaign && `campaign ${r.filters.campaign}`].filter(Boolean).join(', ');
  return `
<h1>Engagement and membership</h1>
<p class="muted">${esc(r.period.from)} to ${esc(r.period.to)}${filters ? ` · ${esc(filters)}` : ''} · generated ${esc(r.generatedAt.slice(0, 16).replace('T', ' '))} UTC</p>
<div class="tiles">${tiles.map(([label, value]) => `<div class="tile"><b>${esc(value)}</b><span>${esc(label)}</span></div>`).join('')}</div>
<div class="charts">${charts.map((c) => `<figure id="${esc(c.id)}"><figcaption>${esc(c.title)}</figcaption>${c.svg}</figure>`).join('')}</div>
<h2>Engagement by campaign</h2>
${table(ENGAGEMENT, [...r.engagement.byCampaign.map((c) => engagementRow(c.kind === 'unknown' ? c.campaign : `${c.campaign} (${c.kind})`, c)), ...(r.engagement.byCampaign.length > 1 ? [engagementRow('all campaigns', t)] : [])])}
<h2>Engagement by step</h2>
${table(ENGAGEMENT, r.engagement.byStep.map((s) => engagementRow(`${s.campaign} / ${s.step}`, s)))}
<h2>Engagement by program</h2>
${table(ENGAGEMENT, r.engagement.byProgram.map((p) => engagementRow(p.program, p)))}
<h2>Membership and retention</h2>
${table(['', 'New', 'Active at end', 'Renewals due', 'Renewed', 'Lapsed', 'Pending', 'Renewal rate', 'Returning YoY', 'Median days to award', 'Awarded ≤ 10 business days', 'Members reached', 'RSVP yes', 'Case-study clicks', 'CSAT'],
    r.programs.map((p) => [p.program, num(p.newMembers), num(p.activeAtEnd), num(p.renewalsDue), num(p.renewed), num(p.lapsed), num(p.pending), pct(p.renewalRate), num(p.returningYearOverYear),
      num(p.timeToAward.medianBusinessDays), pct(p.timeToAward.withinTenBusinessDays), num(p.membersReached), num(p.participation.rsvpYes), num(p.participation.caseStudyClicks),
      p.csat.average === null ? '–' : `${p.csat.average.toFixed(2)} (${p.csat.count})`]))}
<h2>Renewal reminders that convert</h2>
${table(['Step', 'Reminders', 'Renewed within window', 'Conversion', 'Median days to renewal', 'Window (days)'],
    r.attribution.map((a) => [`${a.campaign} / ${a.step}`, num(a.reminders), num(a.conversions), pct(a.conversionRate), num(a.medianDaysToRenewal), a.windowDays]))}
`;
}

export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>${esc(title)}</title><style>${REPORT_CSS}</style></head>
<body><main>${body}</main></body></html>
`;
}

/** The whole report as one file. */
export function reportAsHtml(r: Report, charts: Chart[]): string {
  return htmlPage(`Flywheel report ${r.period.from} to ${r.period.to}`, reportBody(r, charts));
}
