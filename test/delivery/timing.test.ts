import { describe, expect, it } from 'vitest';
import {
  SEVEN_DAYS_MS, earliestSendTime, frequencyCapDecision, isSendWindowOpen, nextSendWindowOpen, weekdayBusinessHours,
  type FrequencyCap, type SendWindow, type SentEmail,
} from '../../engine/delivery/index.ts';

const at = (iso: string) => new Date(iso);
const next = (w: SendWindow, zone: string, iso: string) => nextSendWindowOpen(w, zone, at(iso)).toISOString();

describe('send windows in the member time zone', () => {
  const ny = 'America/New_York';
  it('a New York member is mailable at 09:00 local on a Monday, not at 08:59', () => {
    // 2025-03-10 is the Monday after the US spring-forward: EDT, UTC-4
    expect(isSendWindowOpen(weekdayBusinessHours, ny, at('2025-03-10T13:00:00Z'))).toBe(true);
    expect(isSendWindowOpen(weekdayBusinessHours, ny, at('2025-03-10T12:59:00Z'))).toBe(false);
    expect(next(weekdayBusinessHours, ny, '2025-03-10T12:59:00Z')).toBe('2025-03-10T13:00:00.000Z');
  });

  it('the window closes at 17:00 local (end exclusive) and reopens the next weekday morning', () => {
    expect(isSendWindowOpen(weekdayBusinessHours, ny, at('2025-03-11T20:59:59Z'))).toBe(true);
    expect(isSendWindowOpen(weekdayBusinessHours, ny, at('2025-03-11T21:00:00Z'))).toBe(false);
    expect(next(weekdayBusinessHours, ny, '2025-03-11T21:00:00Z')).toBe('2025-03-12T13:00:00.000Z');
  });

  it('an open window returns now itself', () => {
    const now = at('2025-03-12T15:17:23.456Z');
    expect(nextSendWindowOpen(weekdayBusinessHours, ny, now)).toBe(now);
  });

  it('Friday evening waits for Monday morning; weekends are skipped', () => {
    expect(next(weekdayBusinessHours, 'Europe/Berlin', '2025-06-13T16:00:00Z')).toBe('2025-06-16T07:00:00.000Z');
    expect(next(weekdayBusinessHours, 'Europe/Berlin', '2025-06-14T10:00:00Z')).toBe('2025-06-16T07:00:00.000Z');
    expect(next(weekdayBusinessHours, 'Europe/Berlin', '2025-06-15T23:30:00Z')).toBe('2025-06-16T07:00:00.000Z');
  });

  it('a wait across the spring-forward weekend lands on 09:00 in the new offset', () => {
    // Friday 2025-03-07 18:00 EST (UTC-5) -> Monday 2025-03-10 09:00 EDT (UTC-4)
    expect(next(weekdayBusinessHours, ny, '2025-03-07T23:00:00Z')).toBe('2025-03-10T13:00:00.000Z');
  });

  it('a wait across the fall-back weekend lands on 09:00 in the new offset', () => {
    // Friday 2025-10-31 18:00 EDT -> Monday 2025-11-03 09:00 EST (UTC-5)
    expect(next(weekdayBusinessHours, ny, '2025-10-31T22:00:00Z')).toBe('2025-11-03T14:00:00.000Z');
  });

  it('a window opening inside the spring-forward gap opens when the clock resumes', () => {
    // Berlin 2025-03-30: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist -> 03:30 CEST = 01:30Z
    const sunday: SendWindow = { days: [7], start: '02:30', end: '04:00' };
    expect(next(sunday, 'Europe/Berlin', '2025-03-29T12:00:00Z')).toBe('2025-03-30T01:30:00.000Z');
    expect(isSendWindowOpen(sunday, 'Europe/Berlin', at('2025-03-30T01:45:00Z'))).toBe(true);
    expect(isSendWindowOpen(sunday, 'Europe/Berlin', at('2025-03-30T02:00:00Z'))).toBe(false);
  });

  it('on the fall-back night a window in the repeated hour opens at its first occurrence', () => {
    // New York 2025-11-02: 01:00-02:00 happens twice (EDT then EST); 01:30 EDT = 05:30Z
    const sunday: SendWindow = { days: [7], start: '01:30', end: '03:00' };
    expect(next(sunday, ny, '2025-11-02T00:00:00Z')).toBe('2025-11-02T05:30:00.000Z');
    // the window lasts 2.5 real hours that night: 03:00 EST = 08:00Z
    expect(isSendWindowOpen(sunday, ny, at('2025-11-02T07:59:00Z'))).toBe(true);
    expect(isSendWindowOpen(sunday, ny, at('2025-11-02T08:00:00Z'))).toBe(false);
  });

  describe('a window crossing midnight (Friday 22:00 - Saturday 06:00)', () => {
    const lateFriday: SendWindow = { days: [5], start: '22:00', end: '06:00' };
    const tz = 'UTC';
    it('is open late Friday and early Saturday', () => {
      expect(isSendWindowOpen(lateFriday, tz, at('2025-06-13T22:00:00Z'))).toBe(true);
      expect(isSendWindowOpen(lateFriday, tz, at('2025-06-14T03:00:00Z'))).toBe(true);
    });
    it('is closed from Saturday 06:00 and reopens next Friday 22:00', () => {
      expect(isSendWindowOpen(lateFriday, tz, at('2025-06-14T06:00:00Z'))).toBe(false);
      expect(next(lateFriday, tz, '2025-06-14T06:00:00Z')).toBe('2025-06-20T22:00:00.000Z');
    });
    it('is closed early Friday morning (that belongs to Thursday, which is not a window day)', () => {
      expect(isSendWindowOpen(lateFriday, tz, at('2025-06-13T03:00:00Z'))).toBe(false);
      expect(next(lateFriday, tz, '2025-06-13T03:00:00Z')).toBe('2025-06-13T22:00:00.000Z');
    });
  });

  it('a 24-hour window (start == end) is open all day on its days only', () => {
    const sundays: SendWindow = { days: [7], start: '00:00', end: '00:00' };
    expect(isSendWindowOpen(sundays, 'UTC', at('2025-06-15T23:59:00Z'))).toBe(true);
    expect(next(sundays, 'UTC', '2025-06-16T00:00:00Z')).toBe('2025-06-22T00:00:00.000Z');
  });

  it('zones with half- and quarter-hour offsets (Kolkata +05:30, Chatham +13:45)', () => {
    expect(next(weekdayBusinessHours, 'Asia/Kolkata', '2025-06-16T00:00:00Z')).toBe('2025-06-16T03:30:00.000Z');
    // Chatham in June is +12:45; Monday 09:00 local = Sunday 20:15Z
    expect(next(weekdayBusinessHours, 'Pacific/Chatham', '2025-06-15T12:00:00Z')).toBe('2025-06-15T20:15:00.000Z');
  });

  it("it is Monday in Auckland while still Sunday in UTC: the member's weekday counts", () => {
    // 2025-06-15T22:00Z = Monday 10:00 NZST
    expect(isSendWindowOpen(weekdayBusinessHours, 'Pacific/Auckland', at('2025-06-15T22:00:00Z'))).toBe(true);
  });

  it('refuses unknown zones, malformed times and windows with no days', () => {
    expect(() => isSendWindowOpen(weekdayBusinessHours, 'Mars/Olympus', at('2025-06-16T00:00:00Z'))).toThrow(/time zone/);
    expect(() => isSendWindowOpen({ days: [1], start: '9:00', end: '17:00' }, 'UTC', at('2025-06-16T00:00:00Z'))).toThrow(/HH:mm/);
    expect(() => isSendWindowOpen({ days: [1], start: '09:00', end: '24:00' }, 'UTC', at('2025-06-16T00:00:00Z'))).toThrow(/HH:mm/);
    expect(() => isSendWindowOpen({ days: [], start: '09:00', end: '17:00' }, 'UTC', at('2025-06-16T00:00:00Z'))).toThrow(/never opens/);
    expect(() => isSendWindowOpen({ days: [8 as never], start: '09:00', end: '17:00' }, 'UTC', at('2025-06-16T00:00:00Z'))).toThrow(/1 \(Mon\)/);
  });
});

describe('frequency caps', () => {
  const cap: FrequencyCap = { max: 3, windowMs: SEVEN_DAYS_MS, exemptCategories: ['transactional', 'event-reminder'] };
  const now = at('2025-06-16T12:00:00Z');
  const daysAgo = (d: number, category = 'marketing'): SentEmail => ({ sentAt: new Date(now.getTime() - d * 86_400_000), category });

  it('a member with two marketing emails this week may get a third', () => {
    expect(frequencyCapDecision([daysAgo(1), daysAgo(3)], 'marketing', cap, now)).toEqual({ allowed: true, countInWindow: 2 });
  });

  it('a member with three marketing emails this week gets no fourth until the oldest is a week old', () => {
    const d = frequencyCapDecision([daysAgo(1), daysAgo(5), daysAgo(3)], 'marketing', cap, now);
    expect(d).toEqual({ allowed: false, countInWindow: 3, nextAllowedAt: new Date(daysAgo(5).sentAt.getTime() + SEVEN_DAYS_MS) });
  });

  it('with five in the window and a cap of three, three must age out: waits for the third oldest', () => {
    const history = [daysAgo(6), daysAgo(5), daysAgo(4), daysAgo(2), daysAgo(1)];
    const d = frequencyCapDecision(history, 'marketing', cap, now);
    expect(d).toMatchObject({ allowed: false, countInWindow: 5, nextAllowedAt: new Date(daysAgo(4).sentAt.getTime() + SEVEN_DAYS_MS) });
  });

  it('transactional and event reminders neither count nor are blocked', () => {
    const history = [daysAgo(1, 'transactional'), daysAgo(1, 'event-reminder'), daysAgo(2, 'transactional'), daysAgo(2), daysAgo(3)];
    expect(frequencyCapDecision(history, 'marketing', cap, now)).toEqual({ allowed: true, countInWindow: 2 });
    const full = [daysAgo(1), daysAgo(2), daysAgo(3)];
    expect(frequencyCapDecision(full, 'event-reminder', cap, now).allowed).toBe(true);
  });

  it('an email sent exactly seven days ago has left the window', () => {
    expect(frequencyCapDecision([daysAgo(7), daysAgo(1), daysAgo(2)], 'marketing', cap, now)).toEqual({ allowed: true, countInWindow: 2 });
    expect(frequencyCapDecision([daysAgo(6.99), daysAgo(1), daysAgo(2)], 'marketing', cap, now).allowed).toBe(false);
  });

  it('the rolling week is 168 real hours even across a DST change', () => {
    // sent 2025-03-05 12:00Z; US springs forward 2025-03-09; still counted until 2025-03-12 12:00Z exactly
    const history = [{ sentAt: at('2025-03-05T12:00:00Z'), category: 'marketing' }];
    const one: FrequencyCap = { ...cap, max: 1 };
    expect(frequencyCapDecision(history, 'marketing', one, at('2025-03-12T11:59:59Z'))).toMatchObject({ allowed: false, nextAllowedAt: at('2025-03-12T12:00:00Z') });
    expect(frequencyCapDecision(history, 'marketing', one, at('2025-03-12T12:00:00Z')).allowed).toBe(true);
  });

  it('categories are compared exactly; an unknown category is capped', () => {
    expect(frequencyCapDecision([daysAgo(1), daysAgo(2), daysAgo(3)], 'Transactional', cap, now).allowed).toBe(false);
  });

  it('refuses a cap of zero or less', () => {
    expect(() => frequencyCapDecision([], 'marketing', { ...cap, max: 0 }, now)).toThrow(/positive integer/);
  });
});

describe('earliestSendTime', () => {
  const cap: FrequencyCap = { max: 2, windowMs: SEVEN_DAYS_MS, exemptCategories: ['transactional'] };
  it('sends now when the window is open and the cap allows', () => {
    const now = at('2025-06-16T10:00:00Z'); // Monday 12:00 Berlin
    expect(earliestSendTime({ window: weekdayBusinessHours, zone: 'Europe/Berlin', cap, history: [], category: 'marketing' }, now)).toBe(now);
  });

  it('when the cap frees up on a Saturday the email waits for Monday morning', () => {
    // two emails sent Saturday 2025-06-07 10:00Z -> cap frees Saturday 2025-06-14 10:00Z -> Monday 09:00 Berlin
    const history = [{ sentAt: at('2025-06-07T10:00:00Z'), category: 'marketing' }, { sentAt: at('2025-06-07T10:00:00Z'), category: 'marketing' }];
    const t = earliestSendTime({ window: weekdayBusinessHours, zone: 'Europe/Berlin', cap, history, category: 'marketing' }, at('2025-06-12T10:00:00Z'));
    expect(t.toISOString()).toBe('2025-06-16T07:00:00.000Z');
  });

  it('when the window opens while the cap is still full, waits for the cap inside the window', () => {
    const history = [{ sentAt: at('2025-06-09T08:00:00Z'), category: 'marketing' }, { sentAt: at('2025-06-10T11:00:00Z'), category: 'marketing' }];
    const t = earliestSendTime({ window: weekdayBusinessHours, zone: 'Europe/Berlin', cap, history, category: 'marketing' }, at('2025-06-15T12:00:00Z'));
    // window opens Mon 16th 07:00Z; oldest ages out Mon 16th 08:00Z, still in the window
    expect(t.toISOString()).toBe('2025-06-16T08:00:00.000Z');
  });

  it('transactional email ignores the cap but still respects the window', () => {
    const history = [{ sentAt: at('2025-06-15T08:00:00Z'), category: 'marketing' }, { sentAt: at('2025-06-15T09:00:00Z'), category: 'marketing' }];
    const t = earliestSendTime({ window: weekdayBusinessHours, zone: 'Europe/Berlin', cap, history, category: 'transactional' }, at('2025-06-15T12:00:00Z'));
    expect(t.toISOString()).toBe('2025-06-16T07:00:00.000Z');
  });
});
