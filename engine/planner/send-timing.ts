// Pure timing decisions the scheduler plans with (and delivery re-exports): is a member's send window open
// (in the member's own time zone), when does it next open, and may one more
// marketing email go out under the member's frequency cap. Luxon does the zone
// and DST arithmetic; every function takes `now` and reads no clock.
import { DateTime } from 'luxon';
import { luxonZone } from '../campaigns/zone.ts';
import { FlywheelError } from '../errors.ts';

/** ISO weekday: 1 = Monday ... 7 = Sunday (Luxon's numbering). */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/**
 * A recurring local-time window, e.g. weekdays 09:00-17:00.
 * `days` are the days on which the window *opens*. When `end <= start` the window
 * crosses midnight and closes on the following day (22:00-06:00 opening Friday closes Saturday 06:00).
 * `start == end` means a 24-hour window from `start`.
 */
export interface SendWindow {
  days: readonly Weekday[];
  /** local opening time "HH:mm" (inclusive) */
  start: string;
  /** local closing time "HH:mm" (exclusive) */
  end: string;
}

export const weekdayBusinessHours: SendWindow = { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' };

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

function parseHHMM(value: string, field: string): { hour: number; minute: number } {
  const m = HHMM.exec(value);
  if (!m) throw new FlywheelError('SEND_WINDOW_INVALID', `send window ${field} must be "HH:mm" (00:00-23:59), got "${value}"`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

function zoned(now: Date, zone: string): DateTime {
  const local = DateTime.fromJSDate(now, { zone: luxonZone(zone) });
  if (!local.isValid) throw new FlywheelError('TIMEZONE_INVALID', `unknown time zone "${zone}"`);
  return local;
}

/**
 * The instant a local wall-clock time happens in `zone`. A time skipped by a spring-forward jump
 * is moved forward by the gap (Luxon's rule: 02:30 on a 02:00->03:00 night becomes 03:30). A time
 * that happens twice on a fall-back night resolves to its first occurrence (Luxon alone picks the
 * second), so a window "opens at 01:30" as soon as 01:30 is first on the wall clock.
 */
function localInstant(fields: { year: number; month: number; day: number; hour: number; minute: number }, zone: string): DateTime {
  const dt = DateTime.fromObject(fields, { zone: luxonZone(zone) });
  const shift = Math.abs(dt.minus({ hours: 6 }).offset - dt.plus({ hours: 6 }).offset);
  if (shift === 0) return dt;
  const earlier = dt.minus({ minutes: shift });
  return earlier.hour === fields.hour && earlier.minute === fields.minute && earlier.day === fields.day ? earlier : dt;
}

/** The occurrence of `window` that opens on the local calendar day of `day`. */
function occurrenceOn(day: DateTime, window: SendWindow): { opens: DateTime; closes: DateTime } {
  const s = parseHHMM(window.start, 'start');
  const e = parseHHMM(window.end, 'end');
  const zone = day.zoneName ?? 'UTC';
  const opens = localInstant({ year: day.year, month: day.month, day: day.day, hour: s.hour, minute: s.minute }, zone);
  const crosses = e.hour * 60 + e.minute <= s.hour * 60 + s.minute;
  const closeDay = crosses ? day.plus({ days: 1 }) : day;
  const closes = localInstant({ year: closeDay.year, month: closeDay.month, day: closeDay.day, hour: e.hour, minute: e.minute }, zone);
  return { opens, closes };
}

function checkDays(window: SendWindow): void {
  if (window.days.length === 0) throw new FlywheelError('SEND_WINDOW_INVALID', 'send window has no days, so it never opens');
  for (const d of window.days) {
    if (!Number.isInteger(d) || d < 1 || d > 7) throw new FlywheelError('SEND_WINDOW_INVALID', `send window day must be 1 (Mon) .. 7 (Sun), got ${d}`);
  }
}

/** Is `window` open at `now` for a member living in `zone` (IANA name, e.g. "Europe/Berlin")? */
export function isSendWindowOpen(window: SendWindow, zone: string, now: Date): boolean {
  return nextSendWindowOpen(window, zone, now).getTime() === now.getTime();
}

/**
 * The earliest instant >= `now` at which `window` is open in `zone`: `now` itself when open,
 * otherwise the next opening. Starts looking one local day back so a window that opened
 * yesterday evening and crosses midnight is seen as still open.
 */
export function nextSendWindowOpen(window: SendWindow, zone: string, now: Date): Date {
  checkDays(window);
  const local = zoned(now, zone);
  const t = now.getTime();
  // 9 days covers "yesterday" plus a full week plus slack for DST-shifted openings.
  for (let offset = -1; offset <= 8; offset++) {
    const day = local.startOf('day').plus({ days: offset });
    if (!window.days.includes(day.weekday as Weekday)) continue;
    const { opens, closes } = occurrenceOn(day, window);
    if (t >= opens.toMillis() && t < closes.toMillis()) return now;
    if (opens.toMillis() > t) return opens.toJSDate();
  }
  // unreachable with a non-empty, valid day list
  throw new FlywheelError('SEND_WINDOW_INVALID', 'send window never opens');
}

// ---------------------------------------------------------------------------
// Frequency caps: at most `max` capped emails per member in a rolling window.

export interface FrequencyCap {
  /** how many capped emails a member may receive inside the window */
  max: number;
  /** rolling window length; 7 days = 7 * 24h of elapsed time, not calendar days, so DST does not stretch it */
  windowMs: number;
  /** categories that neither count towards nor are blocked by the cap (e.g. "transactional", "event-reminder") */
  exemptCategories: readonly string[];
}

export const SEVEN_DAYS_MS = 7 * 24 * 60 * 60_000;

export const defaultMarketingCap: FrequencyCap = { max: 3, windowMs: SEVEN_DAYS_MS, exemptCategories: ['transactional'] };

export interface SentEmail {
  sentAt: Date;
  category: string;
}

export type FrequencyCapDecision =
  | { allowed: true; countInWindow: number }
  | { allowed: false; countInWindow: number; nextAllowedAt: Date };

/**
 * May one more email of `category` go to a member with this send `history` at `now`?
 * Exempt categories are always allowed. When the cap is reached, `nextAllowedAt` is when enough
 * of the counted emails have aged out of the window for one more to fit.
 */
export function frequencyCapDecision(history: readonly SentEmail[], category: string, cap: FrequencyCap, now: Date): FrequencyCapDecision {
  if (!Number.isInteger(cap.max) || cap.max < 1) throw new FlywheelError('FREQUENCY_CAP_INVALID', `frequency cap max must be a positive integer, got ${cap.max}`);
  const exempt = new Set(cap.exemptCategories);
  const windowStart = now.getTime() - cap.windowMs;
  // A sentAt after `now` (clock skew between workers) still counts: the email exists.
  const counted = history
    .filter((h) => !exempt.has(h.category) && h.sentAt.getTime() > windowStart)
    .map((h) => h.sentAt.getTime())
    .sort((a, b) => a - b);
  if (exempt.has(category) || counted.length < cap.max) return { allowed: true, countInWindow: counted.length };
  // One more fits once (counted.length - max + 1) emails have left the window; the last of those
  // to leave is at index counted.length - max. It leaves at sentAt + windowMs (window start is exclusive).
  const pivot = counted[counted.length - cap.max] as number;
  return { allowed: false, countInWindow: counted.length, nextAllowedAt: new Date(Math.max(pivot + cap.windowMs, now.getTime())) };
}

/**
 * The earliest instant >= `now` when both the member's send window is open and the frequency cap
 * allows an email of `category`. Alternates the two rules until they agree; each step moves forward.
 */
export function earliestSendTime(
  input: { window: SendWindow; zone: string; cap: FrequencyCap; history: readonly SentEmail[]; category: string },
  now: Date,
): Date {
  let t = now;
  for (let i = 0; i < 100; i++) {
    const open = nextSendWindowOpen(input.window, input.zone, t);
    const cap = frequencyCapDecision(input.history, input.category, input.cap, open);
    if (cap.allowed) return open;
    t = cap.nextAllowedAt;
  }
  throw new FlywheelError('SEND_TIME_UNRESOLVED', 'could not find a send time satisfying both the send window and the frequency cap');
}
