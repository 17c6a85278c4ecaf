// Engagement rows as CSV (csv-stringify) and as a terminal table.
import { stringify } from 'csv-stringify/sync';
import type { KpiRow } from './kpi.ts';

const COLUMNS = ['scope', 'name', 'sent', 'delivered', 'failed', 'bounces', 'complaints', 'humanOpens', 'machineOpens', 'uniqueOpens', 'openRate', 'clicks', 'uniqueClicks', 'clickRate', 'ctor', 'unsubscribes', 'rsvpYes', 'rsvpNo', 'csatCount', 'csatAverage'] as const;

const fixed = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : v === null ? '' : v);

export function reportAsCsv(rows: KpiRow[]): string {
  return stringify([COLUMNS as unknown as string[], ...rows.map((r) => COLUMNS.map((c) => fixed(r[c])))]);
}

const pct = (n: number) => `${(n * 100).toFixed(1)}%`;

export function reportAsTable(rows: KpiRow[]): string {
  const header = ['SCOPE', 'NAME', 'SENT', 'DELIVERED', 'BOUNCES', 'OPENS (HUMAN/MACHINE)', 'UNIQUE OPENS', 'OPEN RATE', 'UNIQUE CLICKS', 'CTOR', 'UNSUBS', 'CSAT'];
  const body = rows.map((r) => [
    r.scope, r.name, r.sent, r.delivered, r.bounces, `${r.humanOpens}/${r.machineOpens}`, r.uniqueOpens, pct(r.openRate), r.uniqueClicks, pct(r.ctor), r.unsubscribes,
    r.csatAverage === null ? '-' : `${r.csatAverage.toFixed(2)} (${r.csatCount})`,
  ].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i > 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...body.map(line)].join('\n') + '\n';
}
