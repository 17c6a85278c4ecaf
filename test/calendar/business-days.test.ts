import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { addBusinessDays, businessDaysBetween, isBusinessDay, localDate, type BusinessCalendar } from '../../engine/calendar/business-days.ts';

const utc: BusinessCalendar = { zone: 'UTC' };
const at = (iso: string) => new Date(iso);

/** Day-by-day reference count, deliberately naive, to check the week-skipping implementation. */
function naiveBetween(from: Date, to: Date, cal: BusinessCalendar): number {
  let day = DateTime.fromJSDate(from, { zone: cal.zone }).startOf('day');
  const end = DateTime.fromJSDate(to, { zone: cal.zone }).startOf('day');
  let n = 0;
  while (day < end) {
    day = day.plus({ days: 1 });
    if (!(cal.weekend ?? [6, 7]).includes(day.weekday) && !(cal.holidays ?? []).includes(day.toISODate()!)) n++;
  }
  return n;
}

describe('addBusinessDays: when an application is due', () => {
  it('skips the weekend: submitted on Friday, one business day is the end of Monday', () => {
    expect(addBusinessDays(at('2026-03-06T10:00:00Z'), 1, utc).toISOString()).toBe('2026-03-10T00:00:00.000Z');
  });

  it('a Saturday submission is due at the same time as a Friday one (the weekend day never counts)', () => {
    expect(addBusinessDays(at('2026-03-07T12:00:00Z'), 1, utc)).toEqual(addBusinessDays(at('2026-03-06T23:59:00Z'), 1, utc));
  });

  it('ten business days (the default promise) span two weekends', () => {
    // Monday 2 March + 10 business days = Monday 16 March, due by its end
    expect(addBusinessDays(at('2026-03-02T09:00:00Z'), 10, utc).toISOString()).toBe('2026-03-17T00:00:00.000Z');
  });

  it('skips configured holidays', () => {
    const cal: BusinessCalendar = { zone: 'UTC', holidays: ['2026-12-25', '2026-12-28'] };
    // Thursday 24 Dec: Friday 25 is a holiday, the weekend, Monday 28 a holiday -> Tuesday 29
    expect(addBusinessDays(at('2026-12-24T15:00:00Z'), 1, cal).toISOString()).toBe('2026-12-30T00:00:00.000Z');
    expect(addBusinessDays(at('2026-12-24T15:00:00Z'), 1, utc).toISOString()).toBe('2026-12-26T00:00:00.000Z');
  });

  it('counts in the program time zone: one instant is Friday in Los Angeles and Saturday in Tokyo', () => {
    const instant = at('2026-03-06T23:30:00Z');
    // Los Angeles: Friday 15:30 -> end of Monday 9 March (PDT from 8 March: UTC-7)
    expect(addBusinessDays(instant, 1, { zone: 'America/Los_Angeles' }).toISOString()).toBe('2026-03-10T07:00:00.000Z');
    // Tokyo: Saturday 08:30 -> end of Monday 9 March JST (UTC+9)
    expect(addBusinessDays(instant, 1, { zone: 'Asia/Tokyo' }).toISOString()).toBe('2026-03-09T15:00:00.000Z');
    // Submitted Thursday in Tokyo (Friday is then the first business day)
    expect(addBusinessDays(at('2026-03-05T14:00:00Z'), 1, { zone: 'Asia/Tokyo' }).toISOString()).toBe('2026-03-06T15:00:00.000Z');
  });

  it('ends at local midnight across the spring daylight-saving change (Berlin, 29 March 2026)', () => {
    const berlin: BusinessCalendar = { zone: 'Europe/Berlin' };
    // Friday 27 March 10:00 CET; due end of Monday 30 March = Tuesday 00:00 CEST = 22:00Z (not 23:00Z)
    const due = addBusinessDays(at('2026-03-27T09:00:00Z'), 1, berlin);
    expect(due.toISOString()).toBe('2026-03-30T22:00:00.000Z');
    expect(DateTime.fromJSDate(due, { zone: 'Europe/Berlin' }).toFormat('yyyy-MM-dd HH:mm')).toBe('2026-03-31 00:00');
  });

  it('ends at local midnight across the autumn change (New York, 1 November 2026)', () => {
    const ny: BusinessCalendar = { zone: 'America/New_York' };
    // Friday 30 October 17:00 EDT; end of Monday 2 November = Tuesday 00:00 EST = 05:00Z
    expect(addBusinessDays(at('2026-10-30T21:00:00Z'), 1, ny).toISOString()).toBe('2026-11-03T05:00:00.000Z');
  });

  it('honours a different weekend (Friday and Saturday)', () => {
    const cal: BusinessCalendar = { zone: 'Asia/Riyadh', weekend: [5, 6] };
    // Thursday 5 March 10:00 local -> Friday and Saturday off -> Sunday 8 March, ends 21:00Z
    expect(addBusinessDays(at('2026-03-05T07:00:00Z'), 1, cal).toISOString()).toBe('2026-03-08T21:00:00.000Z');
  });

  it('zero business days means the end of the submission day', () => {
    expect(addBusinessDays(at('2026-03-04T08:00:00Z'), 0, utc).toISOString()).toBe('2026-03-05T00:00:00.000Z');
  });

  it('refuses impossible calendars and inputs with a clear error', () => {
    expect(() => addBusinessDays(at('2026-03-04T08:00:00Z'), 1, { zone: 'Mars/Olympus' })).toThrow(/unknown time zone "Mars\/Olympus"/);
    expect(() => addBusinessDays(at('2026-03-04T08:00:00Z'), 1, { zone: 'UTC', weekend: [1, 2, 3, 4, 5, 6, 7] })).toThrow(/no business days/);
    expect(() => addBusinessDays(at('2026-03-04T08:00:00Z'), -1, utc)).toThrow(/whole number/);
  });
});

describe('businessDaysBetween: how long a decision took', () => {
  it('is 0 on the same day, 1 from Friday to Monday, and negative backwards', () => {
    expect(businessDaysBetween(at('2026-03-04T08:00:00Z'), at('2026-03-04T20:00:00Z'), utc)).toBe(0);
    expect(businessDaysBetween(at('2026-03-06T16:00:00Z'), at('2026-03-09T09:00:00Z'), utc)).toBe(1);
    expect(businessDaysBetween(at('2026-03-09T09:00:00Z'), at('2026-03-06T16:00:00Z'), utc)).toBe(-1);
  });

  it('a decision exactly at the due instant is one business day beyond the promise', () => {
    const submitted = at('2026-03-02T09:00:00Z');
    const due = addBusinessDays(submitted, 10, utc);
    expect(businessDaysBetween(submitted, new Date(due.getTime() - 1), utc)).toBe(10);
    expect(businessDaysBetween(submitted, due, utc)).toBe(11);
  });

  it('counts dates in the calendar zone, not in UTC', () => {
    // 22:30Z Friday is already Saturday in Berlin; Monday 08:00 Berlin is the first business day after it
    const berlin: BusinessCalendar = { zone: 'Europe/Berlin' };
    expect(businessDaysBetween(at('2026-03-06T23:30:00Z'), at('2026-03-09T07:00:00Z'), berlin)).toBe(1);
    expect(businessDaysBetween(at('2026-03-06T22:30:00Z'), at('2026-03-09T07:00:00Z'), { zone: 'UTC' })).toBe(1);
    expect(localDate(at('2026-03-06T23:30:00Z'), 'Europe/Berlin')).toBe('2026-03-07');
  });

  it('agrees with a day-by-day count over years, holidays on weekdays and weekends, and DST changes', () => {
    const cal: BusinessCalendar = { zone: 'Europe/Berlin', holidays: ['2026-01-01', '2026-04-03', '2026-04-06', '2026-12-26', '2027-01-01', '2027-05-01'] };
    const start = at('2025-12-20T10:00:00Z');
    for (let d = 0; d < 500; d += 7) {
      for (const hour of [1, 13, 23]) {
        const to = new Date(start.getTime() + d * 86_400_000 + hour * 3_600_000 + (d % 5) * 86_400_000);
        expect(businessDaysBetween(start, to, cal)).toBe(naiveBetween(start, to, cal));
      }
    }
  });

  it('is consistent with addBusinessDays for every start day of a month', () => {
    const cal: BusinessCalendar = { zone: 'America/New_York', holidays: ['2026-11-26'] };
    for (let d = 0; d < 31; d++) {
      const from = at(`2026-10-${String(20 + (d % 11)).padStart(2, '0')}T15:00:00Z`);
      for (const n of [1, 5, 10]) {
        const due = addBusinessDays(from, n, cal);
        expect(isBusinessDay(new Date(due.getTime() - 1), cal)).toBe(true);
        expect(businessDaysBetween(from, new Date(due.getTime() - 1), cal)).toBe(n);
      }
    }
  });
});
