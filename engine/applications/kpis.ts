// Application KPIs per program and period, for program managers and the reports stage:
// received, decided (awarded/declined), the share decided by rules, the median business days
// from submission to award, the share decided within the promised window, and how many were
// overdue at the end of the period. `applicationKpis` is pure; `applicationStats` loads its inputs.
import { applicationModels } from './models.ts';
import type { ApplicationDeps } from './intake.ts';

export interface KpiApplication {
  program: string;
  submittedAt: Date;
  dueAt: Date;
  decidedAt?: Date | null;
}

export interface KpiDecision {
  program: string;
  decision: 'award' | 'decline';
  by: { kind: string };
  at: Date;
  dueAt: Date;
  businessDays: number;
}

export interface ApplicationKpis {
  program: string;
  from: string;
  to: string;
  received: number;
  decided: number;
  awarded: number;
  declined: number;
  auto: number;
  manual: number;
  /** auto / decided; null when nothing was decided */
  autoShare: number | null;
  /** median business days from submission to award; null without awards */
  medianBusinessDaysToAward: number | null;
  /** decisions made before their due instant / decided */
  withinWindowShare: number | null;
  /** open at the end of the period (or now, if earlier) with their due instant passed */
  overdue: number;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const share = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);

/** KPIs of one program (or all, program = '*') over [from, to), with overdue counted at `asOf`. */
export function applicationKpis(program: string, applications: readonly KpiApplication[], decisions: readonly KpiDecision[], from: Date, to: Date, asOf: Date): ApplicationKpis {
  const mine = <T extends { program: string }>(x: T) => program === '*' || x.program === program;
  const inPeriod = (d: Date) => d >= from && d < to;
  const decided = decisions.filter((d) => mine(d) && inPeriod(d.at));
  const awards = decided.filter((d) => d.decision === 'award');
  const auto = decided.filter((d) => d.by.kind === 'rule').length;
  const end = asOf < to ? asOf : to;
  return {
    program, from: from.toISOString(), to: to.toISOString(),
    received: applications.filter((a) => mine(a) && inPeriod(a.submittedAt)).length,
    decided: decided.length,
    awarded: awards.length,
    declined: decided.length - awards.length,
    auto,
    manual: decided.length - auto,
    autoShare: share(auto, decided.length),
    medianBusinessDaysToAward: median(awards.map((d) => d.businessDays)),
    withinWindowShare: share(decided.filter((d) => d.at < d.dueAt).length, decided.length),
    overdue: applications.filter((a) => mine(a) && a.submittedAt < end && a.dueAt <= end && !(a.decidedAt && a.decidedAt <= end)).length,
  };
}

/** KPIs per program (and '*' for all) for [from, to); reads the applications and decisions that can count. */
export async function applicationStats(deps: ApplicationDeps, opts: { from: Date; to: Date; program?: string }, now: Date): Promise<ApplicationKpis[]> {
  const { Application, ApplicationDecision } = await applicationModels(deps.store);
  const end = now < opts.to ? now : opts.to;
  const byProgram = opts.program ? { program: opts.program } : {};
  const [applications, decisions] = await Promise.all([
    // received in the period, or submitted before its end and still open at it
    Application.find({ ...byProgram, submittedAt: { $lt: opts.to }, $or: [{ submittedAt: { $gte: opts.from } }, { decidedAt: null }, { decidedAt: { $gt: end } }] },
      { program: 1, submittedAt: 1, dueAt: 1, decidedAt: 1 }).lean(),
    ApplicationDecision.find({ ...byProgram, at: { $gte: opts.from, $lt: opts.to } }, { program: 1, decision: 1, by: 1, at: 1, dueAt: 1, businessDays: 1 }).lean(),
  ]);
  const programs = opts.program ? [opts.program] : [...deps.specs.keys()];
  const rows = programs.map((p) => applicationKpis(p, applications, decisions as KpiDecision[], opts.from, opts.to, now));
  if (!opts.program) rows.push(applicationKpis('*', applications, decisions as KpiDecision[], opts.from, opts.to, now));
  return rows;
}
