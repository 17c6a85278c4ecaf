// The report's charts: Vega-Lite specifications compiled to Vega and rendered to SVG here,
// on the server, so the HTML report is one self-contained file that needs no script.
import * as vl from 'vega-lite';
import * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import type { Report } from './report.ts';

export interface Chart { id: string; title: string; svg: string }

// counts of messages and members: whole numbers on the axis, never 0.5 of a message
const COUNT_AXIS = { tickMinStep: 1, format: ',d' } as const;
const COLORS = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed'];
const base = { width: 540, height: 220, autosize: { type: 'fit-x', contains: 'padding' }, config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 11, labelLimit: 220 }, legend: { orient: 'bottom', labelLimit: 260 } } } as const;

/** Time buckets for the period: days up to two months, weeks (from Monday) up to two years, else months. */
export function timeBuckets(from: string, to: string): { unit: 'day' | 'week' | 'month'; start: (day: string) => string; all: string[] } {
  const DAY = 86_400_000;
  const t0 = Date.parse(`${from}T00:00:00Z`);
  const t1 = Date.parse(`${to}T00:00:00Z`);
  const span = (t1 - t0) / DAY + 1;
  const unit = span <= 62 ? 'day' : span <= 730 ? 'week' : 'month';
  const start = (day: string) => {
    if (unit === 'day') return day;
    if (unit === 'month') return `${day.slice(0, 7)}-01`;
    const t = Date.parse(`${day}T00:00:00Z`);
    const monday = t - ((new Date(t).getUTCDay() + 6) % 7) * DAY;
    return new Date(Math.max(monday, t0)).toISOString().slice(0, 10);
  };
  const all = new Set<string>();
  for (let t = t0; t <= t1; t += DAY) all.add(start(new Date(t).toISOString().slice(0, 10)));
  return { unit, start, all: [...all] };
}

export function engagementOverTimeSpec(report: Report): TopLevelSpec {
  const buckets = timeBuckets(report.period.from, report.period.to);
  const sums = new Map(buckets.all.map((b) => [b, { delivered: 0, opens: 0, clicks: 0 }]));
  for (const d of report.engagement.byDay) {
    const s = sums.get(buckets.start(d.day));
    if (!s) continue;
    s.delivered += d.delivered;
    s.opens += d.uniqueOpens;
    s.clicks += d.uniqueClicks;
  }
  // every bucket present, zeros included, so quiet weeks show as quiet instead of being skipped
  const values = [...sums].flatMap(([start, s]) => [
    { start, measure: 'delivered', value: s.delivered },
    { start, measure: 'unique opens', value: s.opens },
    { start, measure: 'unique clicks', value: s.clicks },
  ]);
  return {
    ...base,
    data: { values },
    mark: { type: 'line', point: { size: 18 } },
    encoding: {
      x: { field: 'start', type: 'temporal', title: `per ${buckets.unit}`, axis: { format: buckets.unit === 'month' ? '%b %Y' : '%d %b' } },
      y: { field: 'value', type: 'quantitative', title: 'messages', axis: COUNT_AXIS },
      color: { field: 'measure', type: 'nominal', title: null, scale: { range: COLORS }, sort: ['delivered', 'unique opens', 'unique clicks'] },
    },
  } as TopLevelSpec;
}

export function funnelPerStepSpec(report: Report): TopLevelSpec {
  const stages = ['delivered', 'unique opens', 'unique clicks'];
  const values = report.engagement.byStep.flatMap((s) => [
    { step: `${s.campaign} / ${s.step}`, stage: stages[0], value: s.delivered },
    { step: `${s.campaign} / ${s.step}`, stage: stages[1], value: s.uniqueOpens },
    { step: `${s.campaign} / ${s.step}`, stage: stages[2], value: s.uniqueClicks },
  ]);
  return {
    ...base,
    height: { step: 12 },
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'step', type: 'nominal', title: null },
      yOffset: { field: 'stage', sort: stages },
      x: { field: 'value', type: 'quantitative', title: 'messages', axis: COUNT_AXIS },
      color: { field: 'stage', type: 'nominal', title: null, sort: stages, scale: { range: COLORS } },
    },
  } as TopLevelSpec;
}

export function renewalRateSpec(report: Report): TopLevelSpec {
  const values = report.programs.filter((p) => p.renewalRate !== null).map((p) => ({ program: p.program, rate: p.renewalRate, label: `${Math.round(p.renewalRate! * 100)}% (${p.renewed}/${p.renewed + p.lapsed})` }));
  return {
    ...base,
    height: { step: 28 },
    data: { values },
    layer: [
      { mark: { type: 'bar', color: COLORS[1] }, encoding: { x: { field: 'rate', type: 'quantitative', title: 'renewal rate (renewed / decided)', scale: { domain: [0, 1.15] }, axis: { format: '%', values: [0, 0.25, 0.5, 0.75, 1] } } } },
      { mark: { type: 'text', align: 'left', dx: 4 }, encoding: { x: { field: 'rate', type: 'quantitative' }, text: { field: 'label' } } },
    ],
    encoding: { y: { field: 'program', type: 'nominal', title: null } },
  } as TopLevelSpec;
}

export function timeToAwardSpec(report: Report): TopLevelSpec {
  const counts = new Map<number, number>();
  for (const p of report.programs) for (const d of p.timeToAward.days) counts.set(d, (counts.get(d) ?? 0) + 1);
  const max = Math.max(12, ...counts.keys());
  const values = Array.from({ length: max + 1 }, (_, days) => ({ days, members: counts.get(days) ?? 0, promise: days <= 10 ? 'within 10 business days' : 'over 10 business days' }));
  return {
    ...base,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'days', type: 'ordinal', title: 'business days from application to award', axis: { labelAngle: 0 } },
      y: { field: 'members', type: 'quantitative', title: 'members awarded', axis: COUNT_AXIS },
      color: { field: 'promise', type: 'nominal', title: null, scale: { domain: ['within 10 business days', 'over 10 business days'], range: [COLORS[1], COLORS[3]] } },
    },
  } as TopLevelSpec;
}

async function toSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The four charts of the report, rendered to SVG. */
export async function reportCharts(report: Report): Promise<Chart[]> {
  const specs: Array<[string, string, TopLevelSpec]> = [
    ['engagement-over-time', 'Engagement over time', engagementOverTimeSpec(report)],
    ['funnel-per-step', 'Funnel per step', funnelPerStepSpec(report)],
    ['renewal-rate', 'Renewal rate per program', renewalRateSpec(report)],
    ['time-to-award', 'Time to award (business days)', timeToAwardSpec(report)],
  ];
  return Promise.all(specs.map(async ([id, title, spec]) => ({ id, title, svg: await toSvg(spec) })));
}
