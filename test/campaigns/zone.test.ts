// The remembering zone must answer exactly what luxon's own IANA zone answers, on either side of
// every transition: DST in both directions, half-hour DST, quarter-hour offsets, and Monrovia's
// 1972 change from -0:44:30, which fell at 00:44:30 UTC, inside a quarter hour.
import { describe, expect, it } from 'vitest';
import { DateTime, IANAZone } from 'luxon';
import { isKnownZone, localDayNumber, luxonZone } from '../../engine/campaigns/zone.ts';
import { shift } from '../../engine/campaigns/time.ts';

const ZONES = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Asia/Kathmandu', 'America/Sao_Paulo', 'Africa/Monrovia'];
const MINUTE = 60_000;

/**
 * Instants around each of a zone's transitions in a year: every 7 minutes 13 seconds for a day
 * either side, and every second of the half hour around the transition itself.
 */
function instantsAround(zone: string, year: number): number[] {
  const iana = IANAZone.create(zone);
  const out: number[] = [];
  for (let day = Date.UTC(year, 0, 1); day < Date.UTC(year + 1, 0, 1); day += 86_400_000) {
    if (iana.offset(day) === iana.offset(day + 86_400_000)) continue;
    for (let t = day - 86_400_000; t < day + 2 * 86_400_000; t += 7 * MINUTE + 13_000) out.push(t);
    let [lo, hi] = [day, day + 86_400_000];
    while (hi - lo > 1000) {
      const mid = Math.floor((lo + hi) / 2);
      if (iana.offset(mid) === iana.offset(lo)) lo = mid;
      else hi = mid;
    }
    for (let t = hi - 15 * MINUTE; t < hi + 15 * MINUTE; t += 1000) out.push(t);
  }
  return out;
}

describe('remembering time zones', () => {
  it('gives the IANA offset at every instant around every transition, asked in any order', () => {
    let checked = 0;
    for (const zone of ZONES) {
      const iana = IANAZone.create(zone);
      const remembering = luxonZone(zone);
      if (typeof remembering === 'string') throw new Error(`${zone} should be a remembering zone`);
      for (const year of [1972, 2026, 2027]) {
        const instants = instantsAround(zone, year);
        // forwards, then backwards: what is remembered from one pass must not mislead the other
        const wrong: string[] = [];
        for (const t of [...instants, ...instants.reverse()]) {
          if (remembering.offset(t) !== iana.offset(t)) wrong.push(`${zone} at ${new Date(t).toISOString()}: ${remembering.offset(t)}, not ${iana.offset(t)}`);
          checked++;
        }
        expect(wrong.slice(0, 5)).toEqual([]);
      }
    }
    expect(checked).toBeGreaterThan(10_000);
  });

  it('moves local times across DST exactly as luxon with the zone name does', () => {
    // the reference: luxon's DateTime with the zone's name, as shift() was written before
    const reference = (t: number, d: { days?: number; hours?: number; minutes?: number }, sign: 1 | -1, zone: string, at?: string, notBefore?: number) => {
      const base = DateTime.fromMillis(t, { zone });
      const dur = { days: d.days ?? 0, hours: d.hours ?? 0, minutes: d.minutes ?? 0 };
      let dt = sign === 1 ? base.plus(dur) : base.minus(dur);
      if (at) {
        const [h, m] = at.split(':').map(Number);
        dt = dt.set({ hour: h, minute: m, second: 0, millisecond: 0 });
        if (notBefore !== undefined && dt.toMillis() < notBefore) dt = dt.plus({ days: 1 });
      }
      return dt.toMillis();
    };
    const durations = [{ days: 1 }, { days: 7 }, { days: 30 }, { hours: 2 }, { days: 1, hours: 1, minutes: 30 }, { minutes: 45 }, {}];
    const wrong: string[] = [];
    let checked = 0;
    for (const zone of [...ZONES, 'UTC', 'UTC+3']) {
      // spring and autumn changes in both hemispheres, at odd minutes
      for (const [from, to] of [[Date.UTC(2026, 2, 20), Date.UTC(2026, 3, 10)], [Date.UTC(2026, 8, 20), Date.UTC(2026, 10, 5)]] as const) {
        for (let t = from + 7_000; t < to; t += 733 * MINUTE) {
          for (const d of durations) {
            for (const sign of [1, -1] as const) {
              // 02:30 falls in a spring-forward gap in several of these zones; 01:30 repeats in autumn
              for (const at of [undefined, '09:00', '02:30', '01:30']) {
                const notBefore = t + 3 * 3_600_000;
                const got = shift(new Date(t), d, sign, zone, at as `${number}:${number}` | undefined, at ? new Date(notBefore) : undefined).getTime();
                const want = reference(t, d, sign, zone, at, at ? notBefore : undefined);
                if (got !== want) wrong.push(`${zone} ${new Date(t).toISOString()} ${sign > 0 ? '+' : '-'}${JSON.stringify(d)} at ${at}: ${new Date(got).toISOString()}, not ${new Date(want).toISOString()}`);
                checked++;
              }
            }
          }
        }
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(checked).toBeGreaterThan(20_000);
  }, 120_000);

  it('counts calendar days in the zone the way luxon does', () => {
    for (const zone of [...ZONES, 'UTC', 'UTC+3']) {
      for (let t = Date.UTC(2026, 9, 20, 0, 7); t < Date.UTC(2026, 10, 5); t += 53 * MINUTE) {
        const to = t + 11 * 86_400_000 + 5 * 3_600_000;
        const a = DateTime.fromMillis(t, { zone }).startOf('day');
        const b = DateTime.fromMillis(to, { zone }).startOf('day');
        expect(localDayNumber(new Date(to), zone) - localDayNumber(new Date(t), zone)).toBe(Math.round(b.diff(a, 'days').days));
      }
    }
  });

  it('passes names that are not IANA zones to luxon unchanged', () => {
    expect(luxonZone('UTC+3')).toBe('UTC+3');
    expect(isKnownZone('UTC+3')).toBe(true);
    expect(isKnownZone('Mars/Olympus_Mons')).toBe(false);
    expect(DateTime.fromMillis(0, { zone: luxonZone('Mars/Olympus_Mons') }).isValid).toBe(false);
  });
});
