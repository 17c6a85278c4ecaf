// Reading rollups: the only place reports get engagement numbers from. Cost grows with
// days x campaigns x steps x programs x writers in the range, never with raw events.
import type { Store } from '../store/index.ts';
import { addTotals, emptyTotals, ROLLUP_METRICS, type RollupTotals } from './metrics.ts';

export interface RollupFilter {
  campaign?: string;
  program?: string;
  /** first UTC day included, "YYYY-MM-DD" */
  from?: string;
  /** last UTC day included, "YYYY-MM-DD" */
  to?: string;
}

export interface RollupRow {
  day: string;
  campaign: string;
  step: string;
  program: string;
  totals: RollupTotals;
}

/** Rollups in the filter, writers' shards already summed: one row per day x campaign x step x program. */
export async function readRollups(store: Store, filter: RollupFilter = {}): Promise<RollupRow[]> {
  const query: Record<string, unknown> = {};
  if (filter.campaign) query.campaign = filter.campaign;
  if (filter.program) query.program = filter.program;
  if (filter.from || filter.to) query.day = { ...(filter.from ? { $gte: filter.from } : {}), ...(filter.to ? { $lte: filter.to } : {}) };
  const projection = Object.fromEntries(['day', 'campaign', 'step', 'program', ...ROLLUP_METRICS].map((f) => [f, 1]));
  const docs = await store.models.Rollup.find(query, projection).lean();
  const rows = new Map<string, RollupRow>();
  for (const d of docs as unknown as Array<Record<string, unknown> & { day: string; campaign: string; step: string; program?: string }>) {
    const key = `${d.day}|${d.campaign}|${d.step}|${d.program ?? ''}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { day: d.day, campaign: d.campaign, step: d.step, program: d.program ?? '', totals: emptyTotals() }));
    addTotals(row.totals, d as never);
  }
  return [...rows.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.campaign.localeCompare(b.campaign) || a.step.localeCompare(b.step) || a.program.localeCompare(b.program)));
}

/** Sum rows grouped by a key (campaign, step, program, day, ...). */
export function sumBy(rows: RollupRow[], key: (r: RollupRow) => string): Map<string, RollupTotals> {
  const out = new Map<string, RollupTotals>();
  for (const r of rows) {
    const k = key(r);
    let t = out.get(k);
    if (!t) out.set(k, (t = emptyTotals()));
    addTotals(t, r.totals);
  }
  return out;
}
