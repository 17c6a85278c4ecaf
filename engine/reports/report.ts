// The report marketing reads: engagement from rollups, membership and retention from the
// members' dates (a packed snapshot kept current, member-facts.ts), attribution from recorded
// reminders (packed shards, send-records.ts). Nothing here scans raw events, so a
// report's cost does not grow with event volume.
import type { Store } from '../store/index.ts';
import type { BusinessCalendar } from '../calendar/business-days.ts';
import { InvalidInputError } from '../errors.ts';
import { emptyTotals, addTotals, promotesCaseStudies, sendsRenewalReminders, type RollupTotals } from './metrics.ts';
import { readRollups, sumBy, type RollupRow } from './rollups.ts';
import { engagementFigures, type EngagementFigures } from './kpi.ts';
import { membershipFigures, type MemberFacts, type MembershipFigures } from './membership.ts';
import { membersReached, renewalReminders } from './send-records.ts';
import { currentMemberFacts } from './member-facts.ts';
import { attributeRenewals, DEFAULT_ATTRIBUTION_DAYS, type Reminder, type Renewal, type StepConversion } from './attribution.ts';

export interface ReportCampaign { name: string; kind: string; attributionDays?: number }

export interface ReportOptions {
  program?: string;
  campaign?: string;
  /** first day included, YYYY-MM-DD (UTC); default: 364 days before `to` */
  from?: string;
  /** last day included, YYYY-MM-DD (UTC); default: today */
  to?: string;
  now: Date;
  calendar: BusinessCalendar;
  /** the loaded campaign definitions (kinds, attribution windows) */
  campaigns: ReportCampaign[];
}

export interface ProgramFigures extends MembershipFigures {
  program: string;
  /** RSVP yes answers and unique clicks on case-study promotions */
  participation: { rsvpYes: number; caseStudyClicks: number };
  csat: { count: number; average: number | null };
  /** distinct members sent at least one message in the months the period touches */
  membersReached: number;
}

export interface Report {
  period: { from: string; to: string };
  filters: { program: string | null; campaign: string | null };
  generatedAt: string;
  engagement: {
    total: EngagementFigures;
    byCampaign: Array<{ campaign: string; kind: string } & EngagementFigures>;
    byStep: Array<{ campaign: string; step: string } & EngagementFigures>;
    byProgram: Array<{ program: string } & EngagementFigures>;
    byDay: Array<{ day: string } & EngagementFigures>;
  };
  programs: ProgramFigures[];
  attribution: StepConversion[];
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Validate the period the user asked for; days are UTC calendar days, both ends included. */
export function reportPeriod(options: Pick<ReportOptions, 'from' | 'to' | 'now'>): { from: string; to: string } {
  const issues = [];
  for (const key of ['from', 'to'] as const) {
    const v = options[key];
    if (v !== undefined && (!DAY.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)) || new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) !== v)) {
      issues.push({ path: `--${key}`, message: `"${v}" is not a date; write YYYY-MM-DD` });
    }
  }
  if (issues.length) throw new InvalidInputError('REPORT_PERIOD_INVALID', 'The report period is not valid:', issues);
  const to = options.to ?? options.now.toISOString().slice(0, 10);
  const from = options.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 364 * 86_400_000).toISOString().slice(0, 10);
  if (from > to) throw new InvalidInputError('REPORT_PERIOD_INVALID', 'The report period is not valid:', [{ path: '--from', message: `${from} is after --to ${to}` }]);
  return { from, to };
}

function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  let y = Number(from.slice(0, 4));
  let m = Number(from.slice(5, 7));
  const last = to.slice(0, 7);
  for (;;) {
    const id = `${y}-${String(m).padStart(2, '0')}`;
    months.push(id);
    if (id >= last) return months;
    if (++m > 12) { m = 1; y++; }
  }
}

const sorted = <T>(m: Map<string, T>) => [...m].sort(([a], [b]) => a.localeCompare(b));

export async function buildReport(store: Store, options: ReportOptions): Promise<Report> {
  const period = reportPeriod(options);
  const range = { from: new Date(`${period.from}T00:00:00Z`), to: new Date(Date.parse(`${period.to}T00:00:00Z`) + 86_400_000) };
  const kindOf = new Map(options.campaigns.map((c) => [c.name, c.kind]));
  const windowOf = new Map(options.campaigns.map((c) => [c.name, c.attributionDays ?? DEFAULT_ATTRIBUTION_DAYS]));

  const wantsAttribution = !options.campaign || sendsRenewalReminders(kindOf.get(options.campaign));
  const [rows, facts, reach, reminders] = await Promise.all([
    readRollups(store, { program: options.program, campaign: options.campaign, from: period.from, to: period.to }),
    currentMemberFacts(store),
    membersReached(store, { months: monthsBetween(period.from, period.to), program: options.program }),
    wantsAttribution ? renewalReminders(store, options.campaign) : [],
  ]);

  const figures = (m: Map<string, RollupTotals>) => sorted(m).map(([k, t]) => [k, engagementFigures(t)] as const);
  const total = engagementFigures(rows.reduce((t, r) => addTotals(t, r.totals), emptyTotals()));
  const engagement: Report['engagement'] = {
    total,
    byCampaign: figures(sumBy(rows, (r) => r.campaign)).map(([campaign, f]) => ({ campaign, kind: kindOf.get(campaign) ?? 'unknown', ...f })),
    byStep: figures(sumBy(rows, (r) => `${r.campaign}\u0000${r.step}`)).map(([k, f]) => {
      const [campaign, step] = k.split('\u0000') as [string, string];
      return { campaign, step, ...f };
    }).sort((a, b) => a.campaign.localeCompare(b.campaign) || a.step.localeCompare(b.step)),
    byProgram: figures(sumBy(rows.filter((r) => r.program), (r) => r.program)).map(([program, f]) => ({ program, ...f })),
    byDay: figures(sumBy(rows, (r) => r.day)).map(([day, f]) => ({ day, ...f })),
  };

  const members = [...facts].filter(([, m]) => !options.program || m.program === options.program).map(([_id, m]) => ({ ...m, _id }));
  const programs = programFigures(members, rows, reach, kindOf, range, options);
  const attribution = wantsAttribution ? attributionOf(members, reminders, range, windowOf) : [];

  return {
    period,
    filters: { program: options.program ?? null, campaign: options.campaign ?? null },
    generatedAt: options.now.toISOString(),
    engagement,
    programs,
    attribution,
  };
}

function programFigures(
  members: MemberFacts[], rows: RollupRow[], reached: Map<string, Set<string>>, kindOf: Map<string, string>,
  range: { from: Date; to: Date }, options: ReportOptions,
): ProgramFigures[] {
  const byProgram = new Map<string, MemberFacts[]>();
  for (const m of members) {
    let list = byProgram.get(m.program);
    if (!list) byProgram.set(m.program, (list = []));
    list.push(m);
  }
  const engagement = sumBy(rows.filter((r) => r.program), (r) => r.program);
  const caseStudy = sumBy(rows.filter((r) => r.program && promotesCaseStudies(kindOf.get(r.campaign))), (r) => r.program);
  const names = [...new Set([...byProgram.keys(), ...engagement.keys()])].sort();
  return names.map((program) => {
    const t = engagement.get(program) ?? emptyTotals();
    return {
      program,
      ...membershipFigures(byProgram.get(program) ?? [], range, options.now, options.calendar),
      participation: { rsvpYes: t.rsvpYes, caseStudyClicks: caseStudy.get(program)?.uniqueClicks ?? 0 },
      csat: { count: t.csatCount, average: t.csatCount ? t.csatSum / t.csatCount : null },
      membersReached: reached.get(program)?.size ?? 0,
    };
  });
}

function attributionOf(
  members: Array<MemberFacts & { _id: unknown }>, docs: Reminder[], range: { from: Date; to: Date }, windowOf: Map<string, number>,
): StepConversion[] {
  const renewals: Renewal[] = [];
  const ids = new Set(members.map((m) => String(m._id)));
  for (const m of members) {
    for (const r of m.renewals ?? []) if (r.renewedAt && r.renewedAt >= range.from && r.renewedAt < range.to) renewals.push({ memberId: String(m._id), renewedAt: r.renewedAt });
  }
  const reminders: Reminder[] = docs.filter((d) => ids.has(d.memberId)).map((d) => ({ memberId: d.memberId, campaign: d.campaign, step: d.step, at: d.at }));
  return attributeRenewals(reminders, renewals, range, (c) => windowOf.get(c) ?? DEFAULT_ATTRIBUTION_DAYS);
}
