// Pure time arithmetic shared by the campaign kinds and the planner (it sits here, below both): durations in a member's zone (calendar days, so
// 09:00 stays 09:00 across DST), local send times, and cron occurrences via cron-parser.
import { DateTime } from 'luxon';
import { CronExpressionParser } from 'cron-parser';
import type { Duration, LocalTime } from './types.ts';
import { isKnownZone, luxonZone } from './zone.ts';

export const DAY_MS = 86_400_000;

export function zoneOf(tz: string | null | undefined): string {
  return tz && isKnownZone(tz) ? tz : 'UTC';
}

function luxonDuration(d: Duration) {
  return { days: d.days ?? 0, hours: d.hours ?? 0, minutes: d.minutes ?? 0 };
}

/**
 * `instant + d` in `zone` (calendar days, so DST does not move local times), then set to
 * local time `at` on that day; if that lands before `notBefore`, the same time the next day.
 * The arithmetic is luxon's (`plus`/`minus`, then `set`), done on the zone's offsets directly:
 * planning calls this for every member and step, and luxon's DateTime objects were a tenth of a
 * full plan's CPU. Anything outside the common case goes through luxon itself.
 */
export function shift(instant: Date, d: Duration, sign: 1 | -1, zone: string, at?: LocalTime, notBefore?: Date): Date {
  const z = luxonZone(zone);
  const days = d.days ?? 0;
  const hours = d.hours ?? 0;
  const minutes = d.minutes ?? 0;
  const t0 = instant.getTime();
  if (typeof z === 'string' || !Number.isInteger(days) || !Number.isInteger(hours) || !Number.isInteger(minutes) || !(t0 >= MODERN_MS)) {
    return luxonShift(instant, d, sign, zone, at, notBefore);
  }
  // plus/minus: whole days move the local date, hours and minutes move the instant
  const o0 = z.offset(t0);
  let [t, o] = fixOffset(t0 + o0 * 60_000 + sign * days * DAY_MS, o0, z);
  const extra = sign * (hours * 3_600_000 + minutes * 60_000);
  if (extra !== 0) {
    t += extra;
    o = z.offset(t);
  }
  if (at) {
    const [h, m] = at.split(':').map(Number);
    const localMidnight = Math.floor((t + o * 60_000) / DAY_MS) * DAY_MS;
    [t, o] = fixOffset(localMidnight + (h ?? 0) * 3_600_000 + (m ?? 0) * 60_000, o, z);
    if (notBefore && t < notBefore.getTime()) [t, o] = fixOffset(t + o * 60_000 + DAY_MS, o, z);
  }
  return new Date(t);
}

/** Dates from here on take the fast path (luxon reads two-digit years differently). */
const MODERN_MS = Date.UTC(1900, 0, 1);

/** luxon's own rule for a local time (`localTs`) in a zone, from a guessed offset `o` (minutes). */
function fixOffset(localTs: number, o: number, zone: { offset(ts: number): number }): [number, number] {
  let utc = localTs - o * 60_000;
  const o2 = zone.offset(utc);
  if (o === o2) return [utc, o];
  utc -= (o2 - o) * 60_000;
  const o3 = zone.offset(utc);
  if (o2 === o3) return [utc, o2];
  // a local time the clocks skipped
  return [localTs - Math.min(o2, o3) * 60_000, Math.max(o2, o3)];
}

/** The same as `shift`, with luxon's DateTime. */
function luxonShift(instant: Date, d: Duration, sign: 1 | -1, zone: string, at?: LocalTime, notBefore?: Date): Date {
  const base = DateTime.fromJSDate(instant, { zone: luxonZone(zone) });
  let t = sign === 1 ? base.plus(luxonDuration(d)) : base.minus(luxonDuration(d));
  if (at) {
    const [h, m] = at.split(':').map(Number);
    t = t.set({ hour: h ?? 0, minute: m ?? 0, second: 0, millisecond: 0 });
    if (notBefore && t.toMillis() < notBefore.getTime()) t = t.plus({ days: 1 });
  }
  return t.toJSDate();
}

export function durationMs(d: Duration | undefined, fallbackDays: number): number {
  if (!d) return fallbackDays * DAY_MS;
  return (d.days ?? 0) * DAY_MS + (d.hours ?? 0) * 3_600_000 + (d.minutes ?? 0) * 60_000;
}

export function localDate(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone: luxonZone(zone) }).toFormat('yyyy-MM-dd');
}

/** A local date-time ("2026-11-14T09:00") in `zone` as an instant. */
export function localDateTime(value: string, zone: string): Date {
  return DateTime.fromISO(value, { zone: luxonZone(zone) }).toJSDate();
}

/** ISO string with offset → that instant; without offset → local time in `zone`. */
export function instantOrLocal(value: string, zone: string): Date {
  return /([zZ]|[+-]\d{2}:?\d{2})$/.test(value) ? new Date(value) : localDateTime(value, zone);
}

/** Cron occurrences in (from, to], evaluated in `zone`. */
export function cronOccurrences(expr: string, zone: string, from: Date, to: Date): Date[] {
  if (to <= from) return [];
  const out: Date[] = [];
  const f = from.getTime();
  const t = to.getTime();
  for (let chunk = Math.floor(f / CRON_CHUNK_MS); chunk * CRON_CHUNK_MS <= t; chunk++) {
    for (const at of occurrencesInChunk(expr, zone, chunk)) if (at > f && at <= t) out.push(new Date(at));
  }
  return out;
}

// Occurrences depend only on (expression, zone), not on the member: planning 100,000 members
// in a dozen zones asks the same questions again and again. They are computed once per
// 30-day chunk and kept (bounded; the cache is dropped when it grows past its limit).
const CRON_CHUNK_MS = 30 * DAY_MS;
const CRON_CACHE_LIMIT = 20_000;
const cronChunks = new Map<string, number[]>();

/** Occurrences at or after the chunk's start and before its end (cron-parser lists those after `currentDate`, up to `endDate` inclusive). */
function occurrencesInChunk(expr: string, zone: string, chunk: number): number[] {
  const key = `${expr}\u0000${zone}\u0000${chunk}`;
  let list = cronChunks.get(key);
  if (list) return list;
  const start = chunk * CRON_CHUNK_MS;
  const it = CronExpressionParser.parse(expr, { currentDate: new Date(start - 1), endDate: new Date(start + CRON_CHUNK_MS - 1), tz: zone });
  list = [];
  while (it.hasNext()) list.push(it.next().toDate().getTime());
  if (cronChunks.size >= CRON_CACHE_LIMIT) cronChunks.clear();
  cronChunks.set(key, list);
  return list;
}

/** The most recent occurrence at or before `at`, if any within `lookbackMs`. */
export function previousOccurrence(expr: string, zone: string, at: Date, lookbackMs: number): Date | undefined {
  const list = cronOccurrences(expr, zone, new Date(at.getTime() - lookbackMs - 1), at);
  return list[list.length - 1];
}

export type IssueGranularity = 'month' | 'week' | 'day' | 'minute';

/** How to name a schedule's issues: the coarsest calendar unit that never holds two occurrences. */
export function issueGranularity(expr: string): IssueGranularity {
  const ref = new Date(Date.UTC(2025, 0, 1));
  const occ = CronExpressionParser.parse(expr, { currentDate: ref, tz: 'UTC' }).take(60).map((d) => d.toDate().getTime());
  let minGap = Infinity;
  for (let i = 1; i < occ.length; i++) minGap = Math.min(minGap, (occ[i] ?? 0) - (occ[i - 1] ?? 0));
  if (minGap >= 28 * DAY_MS) return 'month';
  if (minGap >= 7 * DAY_MS) return 'week';
  if (minGap >= DAY_MS) return 'day';
  return 'minute';
}

export function issueKey(occurrence: Date, zone: string, granularity: IssueGranularity): string {
  const local = DateTime.fromJSDate(occurrence, { zone: luxonZone(zone) });
  switch (granularity) {
    case 'month':
      return local.toFormat('yyyy-MM');
    case 'week':
      return local.toFormat("kkkk-'W'WW");
    case 'day':
      return local.toFormat('yyyy-MM-dd');
    case 'minute':
      return local.toFormat("yyyy-MM-dd'T'HH:mm");
  }
}
