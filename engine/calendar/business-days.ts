// Business-day arithmetic in a calendar's own time zone: the clock that application
// due dates, overdue flags and "days to award" KPIs run on. Pure (luxon for zones and DST);
// callers pass the instants, nothing here reads the wall clock.
//
// Conventions, the same everywhere they are used:
// - A business day is a local date that is neither a weekend day nor a configured holiday.
// - An application submitted at any moment of local day D is due at the END of the N-th
//   business day after D (D itself never counts, so a Friday-evening and a Saturday
//   submission with N = 1 are both due by the end of Monday).
// - The business days between two instants count the business dates d with
//   localDate(from) < d <= localDate(to): decided the same day = 0, the next working day = 1.
import { DateTime, IANAZone } from 'luxon';

export interface BusinessCalendar {
  /** IANA time zone, e.g. "Europe/Berlin" */
  zone: string;
  /** ISO weekdays that are not worked (1 = Monday ... 7 = Sunday); default Saturday and Sunday */
  weekend?: readonly number[];
  /** local dates that are not worked, "YYYY-MM-DD" */
  holidays?: readonly string[];
}

const DEFAULT_WEEKEND = [6, 7] as const;
/** A guard against calendars without any working day (every weekday declared weekend). */
const MAX_SCAN_DAYS = 366 * 20;

export function isValidZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

function startOfLocalDay(at: Date, zone: string): DateTime {
  const local = DateTime.fromJSDate(at, { zone });
  if (!local.isValid) throw new RangeError(`unknown time zone "${zone}"`);
  return local.startOf('day');
}

/** The local calendar date of an instant, "YYYY-MM-DD". */
export function localDate(at: Date, zone: string): string {
  return startOfLocalDay(at, zone).toISODate()!;
}

function isWorked(day: DateTime, cal: BusinessCalendar, holidays: ReadonlySet<string>): boolean {
  return !(cal.weekend ?? DEFAULT_WEEKEND).includes(day.weekday) && !holidays.has(day.toISODate()!);
}

/** Is the local date of `at` a business day in this calendar? */
export function isBusinessDay(at: Date, cal: BusinessCalendar): boolean {
  return isWorked(startOfLocalDay(at, cal.zone), cal, new Set(cal.holidays ?? []));
}

/**
 * The instant an item submitted at `from` is due: the end of the `days`-th business day
 * after from's local date (returned as the first instant of the next local day, exclusive).
 * Days are local calendar days, so a DST change never shifts the deadline off midnight.
 */
export function addBusinessDays(from: Date, days: number, cal: BusinessCalendar): Date {
  if (!Number.isInteger(days) || days < 0) throw new RangeError(`business days must be a whole number >= 0, got ${days}`);
  const holidays = new Set(cal.holidays ?? []);
  let day = startOfLocalDay(from, cal.zone);
  let left = days;
  for (let scanned = 0; left > 0; scanned++) {
    if (scanned > MAX_SCAN_DAYS) throw new RangeError('the calendar has no business days');
    day = day.plus({ days: 1 });
    if (isWorked(day, cal, holidays)) left--;
  }
  return day.plus({ days: 1 }).toJSDate();
}

/** Business dates d with localDate(from) < d <= localDate(to); negative when `to` is earlier. */
export function businessDaysBetween(from: Date, to: Date, cal: BusinessCalendar): number {
  if (to < from) return -businessDaysBetween(to, from, cal);
  const holidays = new Set(cal.holidays ?? []);
  const end = startOfLocalDay(to, cal.zone);
  let day = startOfLocalDay(from, cal.zone);
  // whole weeks at once, so a span of years costs a few hundred steps, not thousands
  const weekend = cal.weekend ?? DEFAULT_WEEKEND;
  const perWeek = 7 - new Set(weekend).size;
  let count = 0;
  for (;;) {
    const next = day.plus({ weeks: 1 });
    if (next > end) break;
    const holidaysInWeek = countHolidays(holidays, day, next, weekend);
    count += perWeek - holidaysInWeek;
    day = next;
  }
  while (day < end) {
    day = day.plus({ days: 1 });
    if (isWorked(day, cal, holidays)) count++;
  }
  return count;
}

/** Holidays on working weekdays in (from, to]. */
function countHolidays(holidays: ReadonlySet<string>, from: DateTime, to: DateTime, weekend: readonly number[]): number {
  if (holidays.size === 0) return 0;
  const lo = from.toISODate()!;
  const hi = to.toISODate()!;
  let n = 0;
  for (const h of holidays) {
    if (h > lo && h <= hi && !weekend.includes(DateTime.fromISO(h).weekday)) n++;
  }
  return n;
}
