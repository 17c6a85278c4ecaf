// Membership and retention per program and period: what the programs are measured on.
// Pure: members' dates in, figures out. Terms are yearly; a member's term ends are the
// expiry each renewal extended (renewals[k] renewed the term ending before renewals[k].expiresAt)
// and the current expiry.
import { businessDaysBetween, type BusinessCalendar } from '../calendar/business-days.ts';

export interface MemberFacts {
  program: string;
  appliedAt?: Date | null;
  awardedAt?: Date | null;
  expiresAt?: Date | null;
  renewals?: ReadonlyArray<{ renewedAt?: Date | null; expiresAt?: Date | null }> | null;
}

export interface Period {
  from: Date;
  /** exclusive */
  to: Date;
}

export interface MembershipFigures {
  /** awarded in the period */
  newMembers: number;
  /** covered by a term at the end of the period (or now, if the period has not ended) */
  activeAtEnd: number;
  /** terms ending in the period: renewed + lapsed + pending */
  renewalsDue: number;
  renewed: number;
  /** ended without a renewal */
  lapsed: number;
  /** end later than now: not decided yet */
  pending: number;
  /** renewed / (renewed + lapsed); null when none was decided */
  renewalRate: number | null;
  /** active at the end of the period and also a year before it */
  returningYearOverYear: number;
  timeToAward: TimeToAward;
}

export interface TimeToAward {
  /** members awarded in the period with a known application date */
  count: number;
  /** business days, application to award */
  medianBusinessDays: number | null;
  /** share awarded within 10 business days (the programs' promise) */
  withinTenBusinessDays: number | null;
  /** business days per member awarded, for the distribution chart */
  days: number[];
}

const YEAR_MS = 365.25 * 24 * 3600 * 1000;

function minusYear(d: Date): Date {
  const x = new Date(d);
  x.setUTCFullYear(x.getUTCFullYear() - 1);
  return x;
}

interface Term { start: Date; end: Date; renewedAt: Date | null }

/** A member's terms in order: start, end, and when (if) the term after it was bought. */
export function termsOf(m: MemberFacts): Term[] {
  if (!m.awardedAt) return [];
  const renewals = (m.renewals ?? []).filter((r) => r.expiresAt).map((r) => ({ renewedAt: r.renewedAt ?? null, expiresAt: r.expiresAt! }))
    .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime());
  const lastEnd = m.expiresAt ?? renewals.at(-1)?.expiresAt;
  if (!lastEnd) return [];
  const ends = renewals.length ? [minusYear(renewals[0]!.expiresAt), ...renewals.map((r) => r.expiresAt)] : [lastEnd];
  if (ends.at(-1)!.getTime() !== lastEnd.getTime() && lastEnd > ends.at(-1)!) ends.push(lastEnd);
  const terms: Term[] = [];
  for (let k = 0; k < ends.length; k++) {
    // renewals[k] renewed term k (an import without the renewal date counts it renewed at the term's end)
    const renewedAt = k < renewals.length ? (renewals[k]!.renewedAt ?? ends[k]!) : null;
    const prevEnd = k === 0 ? m.awardedAt : ends[k - 1]!;
    // Renewed early: the new term follows on. Renewed late: it starts at the renewal.
    const bought = k === 0 ? m.awardedAt : renewals[k - 1]?.renewedAt ?? prevEnd;
    terms.push({ start: k === 0 ? m.awardedAt : new Date(Math.max(prevEnd.getTime(), bought.getTime())), end: ends[k]!, renewedAt });
  }
  return terms;
}

export function isActiveAt(m: MemberFacts, at: Date): boolean {
  return termsOf(m).some((t) => t.start <= at && at < t.end);
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const within = (d: Date | null | undefined, p: Period) => !!d && d >= p.from && d < p.to;

export function membershipFigures(members: Iterable<MemberFacts>, period: Period, now: Date, cal: BusinessCalendar): MembershipFigures {
  const end = new Date(Math.min(period.to.getTime() - 1, now.getTime()));
  const yearBefore = new Date(end.getTime() - YEAR_MS);
  const f = { newMembers: 0, activeAtEnd: 0, renewalsDue: 0, renewed: 0, lapsed: 0, pending: 0, returningYearOverYear: 0 };
  const days: number[] = [];
  for (const m of members) {
    if (within(m.awardedAt, period)) {
      f.newMembers++;
      if (m.appliedAt) days.push(businessDaysBetween(m.appliedAt, m.awardedAt!, cal));
    }
    const terms = termsOf(m);
    const active = terms.some((t) => t.start <= end && end < t.end);
    if (active) {
      f.activeAtEnd++;
      if (terms.some((t) => t.start <= yearBefore && yearBefore < t.end)) f.returningYearOverYear++;
    }
    for (const t of terms) {
      if (!within(t.end, period)) continue;
      f.renewalsDue++;
      if (t.renewedAt) f.renewed++;
      else if (t.end <= now) f.lapsed++;
      else f.pending++;
    }
  }
  const decided = f.renewed + f.lapsed;
  days.sort((a, b) => a - b);
  return {
    ...f,
    renewalRate: decided ? f.renewed / decided : null,
    timeToAward: {
      count: days.length,
      medianBusinessDays: median(days),
      withinTenBusinessDays: days.length ? days.filter((d) => d <= 10).length / days.length : null,
      days,
    },
  };
}
