// A known history for report tests: members with application, award, expiry and renewal
// dates across two years, and engagement counted through the live counter API.
import { Types } from 'mongoose';
import { CounterBuffer } from '../../engine/reports/counters.ts';
import { sendResultDeltas, type RawEventType, type RawEventData } from '../../engine/reports/raw-events.ts';
import type { ReportOptions } from '../../engine/reports/report.ts';
import type { Store } from '../../engine/store/index.ts';

export const d = (iso: string) => new Date(iso.length === 10 ? `${iso}T10:00:00Z` : iso);
export const ids = Object.fromEntries(['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'X'].map((k) => [k, new Types.ObjectId()]));
export const options: Omit<ReportOptions, 'now'> & { now: Date } = {
  from: '2026-01-01', to: '2026-12-31', now: d('2026-12-20T12:00:00Z'),
  // Good Friday 2026 is a day off
  calendar: { zone: 'UTC', holidays: ['2026-04-03'] },
  campaigns: [
    { name: 'news', kind: 'newsletter' }, { name: 'cases', kind: 'case-study' }, { name: 'meetup', kind: 'event' },
    { name: 'renewal', kind: 'renewal' }, { name: 'renewal-startups', kind: 'renewal', attributionDays: 21 },
  ],
};

export async function seedMembers(store: Store) {
  const m = (key: string, program: string, dates: Record<string, unknown>) => ({ _id: ids[key], email: `${key.toLowerCase()}@example.org`, program, status: 'active', ...dates });
  await store.models.Member.insertMany([
    // applied Friday, awarded Monday: 1 business day across a weekend
    m('A', 'education', { appliedAt: d('2026-03-06T16:00:00Z'), awardedAt: d('2026-03-09T09:00:00Z'), expiresAt: d('2027-03-09') }),
    // applied Thursday before Good Friday, awarded Tuesday: 2 business days across a holiday and a weekend
    m('B', 'education', { appliedAt: d('2026-04-02'), awardedAt: d('2026-04-07'), expiresAt: d('2027-04-07') }),
    // three weeks: 15 business days, over the promise
    m('C', 'education', { appliedAt: d('2026-05-01'), awardedAt: d('2026-05-22'), expiresAt: d('2027-05-22') }),
    // imported without an application date; renewed before expiry
    m('D', 'education', { awardedAt: d('2025-02-01'), expiresAt: d('2027-02-01'), renewals: [{ renewedAt: d('2026-01-20'), expiresAt: d('2027-02-01') }] }),
    // lapsed
    m('E', 'education', { awardedAt: d('2025-03-01'), expiresAt: d('2026-03-01') }),
    // term ends after "now": pending
    m('F', 'education', { awardedAt: d('2025-12-28'), expiresAt: d('2026-12-28') }),
    // renewed in 2025 and, late, in 2026
    m('G', 'startups', { awardedAt: d('2024-05-01'), expiresAt: d('2027-05-10'), renewals: [{ renewedAt: d('2025-04-20'), expiresAt: d('2026-05-01') }, { renewedAt: d('2026-05-10'), expiresAt: d('2027-05-10') }] }),
    m('H', 'startups', { awardedAt: d('2025-08-01'), expiresAt: d('2026-08-01') }),
  ]);
}

export async function seedEngagement(store: Store) {
  const c = new CounterBuffer(store, { writer: 'history' });
  const at = (campaign: string, step: string, program: string, when: string, member?: string, renewalReminder = false) =>
    ({ campaign, step, program, at: d(when), memberId: member ? String(ids[member]) : undefined, renewalReminder });
  const ev = (campaign: string, step: string, program: string, when: string, type: RawEventType, data?: RawEventData) => c.countEvent(at(campaign, step, program, when), type, data);
  // outside the period
  c.countAll(at('news', 'issue-0', 'education', '2025-12-15', 'F'), sendResultDeltas('sent'));
  // newsletter: 4 sent, 1 refused for good (bounce at send time); engagement the next day
  for (const k of ['A', 'B', 'C', 'D']) c.countAll(at('news', 'issue-1', 'education', '2026-06-01', k), sendResultDeltas('sent'));
  c.countAll(at('news', 'issue-1', 'education', '2026-06-01', 'X'), sendResultDeltas('failed', true));
  for (const t of ['open', 'open', 'open'] as const) ev('news', 'issue-1', 'education', '2026-06-02', t, { machine: false });
  for (let i = 0; i < 2; i++) ev('news', 'issue-1', 'education', '2026-06-02', 'open', { machine: true });
  for (const t of ['first-open', 'first-open', 'click', 'click', 'click', 'first-click', 'first-click', 'unsubscribe', 'complaint', 'bounce', 'soft-bounce'] as const) ev('news', 'issue-1', 'education', '2026-06-02', t);
  // case-study promotion to startups
  for (const k of ['G', 'H']) c.countAll(at('cases', 'promo', 'startups', '2026-07-01', k), sendResultDeltas('sent'));
  for (const t of ['open', 'first-open', 'click', 'first-click'] as const) ev('cases', 'promo', 'startups', '2026-07-03', t);
  // event invite: three RSVPs, one changes from yes to no; three satisfaction answers
  for (const k of ['A', 'B', 'C']) c.countAll(at('meetup', 'invite', 'education', '2026-09-01', k), sendResultDeltas('sent'));
  ev('meetup', 'invite', 'education', '2026-09-02', 'rsvp', { answer: 'yes' });
  ev('meetup', 'invite', 'education', '2026-09-02', 'rsvp', { answer: 'yes' });
  ev('meetup', 'invite', 'education', '2026-09-02', 'rsvp', { answer: 'no' });
  ev('meetup', 'invite', 'education', '2026-09-03', 'rsvp', { answer: 'no', previous: 'yes' });
  for (const score of [5, 4, 3]) ev('meetup', 'invite', 'education', '2026-09-10', 'csat', { score });
  // renewal reminders
  const remind = (campaign: string, step: string, program: string, when: string, k: string) => c.countAll(at(campaign, step, program, when, k, true), sendResultDeltas('sent'));
  remind('renewal', 'r-30', 'education', '2026-01-02', 'D'); // 18 days before D renews: outside 14
  remind('renewal', 'r-14', 'education', '2026-01-18', 'D'); // 2 days before: converts
  remind('renewal', 'r-30', 'education', '2026-01-30', 'E'); // E lapses
  remind('renewal-startups', 'r-30', 'startups', '2026-04-01', 'G');
  remind('renewal-startups', 'r-7', 'startups', '2026-04-24', 'G'); // 16 days before G renews: inside this campaign's 21
  remind('renewal-startups', 'r-30', 'startups', '2026-07-02', 'H');
  await c.close();
}

