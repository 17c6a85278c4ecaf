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
 */
export function shift(instant: Date, d: Duration, sign: 1 | -1, zone: string, at?: LocalTime, notBefore?: Date): Date {
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
