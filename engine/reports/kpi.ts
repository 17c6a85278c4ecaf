// Engagement KPIs per campaign and program, from the counters kept at event time.
import type { Store } from '../store/index.ts';
import { counterKeysWithPrefix, readCounters, type CounterTotals } from './counters.ts';

export interface KpiRow extends CounterTotals {
  scope: 'campaign' | 'program';
  name: string;
  /** unique opens / sent */
  openRate: number;
  /** unique clicks / sent */
  clickRate: number;
  unsubscribeRate: number;
  bounceRate: number;
}

export function kpiRow(scope: KpiRow['scope'], name: string, t: CounterTotals): KpiRow {
  const rate = (n: number) => (t.sent > 0 ? n / t.sent : 0);
  return { scope, name, ...t, openRate: rate(t.uniqueOpens), clickRate: rate(t.uniqueClicks), unsubscribeRate: rate(t.unsubscribes), bounceRate: rate(t.bounces) };
}

export async function engagementReport(store: Store, filter: { campaign?: string } = {}): Promise<KpiRow[]> {
  const campaignKeys = filter.campaign ? [`campaign:${filter.campaign}`] : await counterKeysWithPrefix(store, 'campaign:');
  const programKeys = filter.campaign ? [] : await counterKeysWithPrefix(store, 'program:');
  const totals = await readCounters(store, [...campaignKeys, ...programKeys]);
  return [
    ...campaignKeys.map((k) => kpiRow('campaign', k.slice('campaign:'.length), totals.get(k)!)),
    ...programKeys.map((k) => kpiRow('program', k.slice('program:'.length), totals.get(k)!)),
  ];
}

const COLUMNS = ['scope', 'name', 'sent', 'failed', 'opens', 'uniqueOpens', 'openRate', 'clicks', 'uniqueClicks', 'clickRate', 'unsubscribes', 'bounces'] as const;

export function reportAsCsv(rows: KpiRow[]): string {
  const cell = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

export function reportAsTable(rows: KpiRow[]): string {
  const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
  const header = ['SCOPE', 'NAME', 'SENT', 'FAILED', 'OPENS', 'UNIQUE OPENS', 'OPEN RATE', 'CLICKS', 'UNIQUE CLICKS', 'UNSUBS', 'BOUNCES'];
  const body = rows.map((r) => [r.scope, r.name, r.sent, r.failed, r.opens, r.uniqueOpens, pct(r.openRate), r.clicks, r.uniqueClicks, r.unsubscribes, r.bounces].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...body.map(line)].join('\n') + '\n';
}
