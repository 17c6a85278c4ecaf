import { describe, expect, it } from 'vitest';
import { days, defineCampaign, where } from '../../engine/campaigns/index.ts';
import { simulate } from '../../engine/planner/index.ts';
import { campaign, member, row } from './factories.ts';

const renewal = campaign(
  defineCampaign({
    kind: 'renewal',
    name: 'renewal',
    audience: where.program('education', 'startups'),
    steps: [
      { id: 'days-30', before: days(30), at: '10:00', template: 'renewal-reminder', subject: '{{daysLeft}} days left' },
      { id: 'days-7', before: days(7), at: '10:00', template: 'renewal-reminder', subject: '{{daysLeft}} days left' },
      { id: 'days-1', before: days(1), at: '10:00', template: 'renewal-reminder', subject: 'Tomorrow' },
      { id: 'grace-7', after: days(7), at: '10:00', template: 'renewal-reminder', subject: 'Ended' },
    ],
  }),
);

describe('renewal reminders', () => {
  const grace = member({ email: 'grace@example.org', timezone: 'America/Los_Angeles', expiresAt: new Date('2026-06-30T12:00:00Z') });
  const linus = member({ email: 'linus@example.org', timezone: 'America/Los_Angeles', expiresAt: new Date('2026-06-30T12:00:00Z') });
  const from = new Date('2026-05-01T00:00:00Z');

  it('go out 30, 7 and 1 days before expiry and 7 days after, at 10:00 Los Angeles time, as transactional mail', () => {
    const plan = simulate({ campaign: renewal, members: [grace], content: [], from, days: 90 });
    expect(plan.map(row)).toEqual([
      'grace@example.org days-30 2026-06-30 2026-05-31T17:00:00.000Z',
      'grace@example.org days-7 2026-06-30 2026-06-23T17:00:00.000Z',
      'grace@example.org days-1 2026-06-30 2026-06-29T17:00:00.000Z',
      'grace@example.org grace-7 2026-06-30 2026-07-07T17:00:00.000Z',
    ]);
    expect(plan.map((s) => s.data.daysLeft)).toEqual([30, 7, 1, -7]);
    expect(new Set(plan.map((s) => s.category))).toEqual(new Set(['transactional']));
  });

  it('a member who renews gets no further reminders', () => {
    const plan = simulate({
      campaign: renewal,
      members: [grace, linus],
      content: [],
      from,
      days: 90,
      changes: [{ memberId: String(linus._id), at: new Date('2026-06-25T08:00:00Z'), set: { expiresAt: new Date('2027-06-30T12:00:00Z') } }],
    });
    expect(plan.filter((s) => s.email === 'linus@example.org').map(row)).toEqual([
      'linus@example.org days-30 2026-06-30 2026-05-31T17:00:00.000Z',
      'linus@example.org days-7 2026-06-30 2026-06-23T17:00:00.000Z',
    ]);
    expect(plan.filter((s) => s.email === 'grace@example.org')).toHaveLength(4);
  });

  it('a member first seen a few days before expiry gets only the latest reminder, not the missed ones', () => {
    const late = member({ email: 'late@example.org', timezone: 'UTC', expiresAt: new Date('2026-05-05T00:00:00Z') });
    const plan = simulate({ campaign: renewal, members: [late], content: [], from, days: 30 });
    expect(plan.map(row)).toEqual([
      'late@example.org days-7 2026-05-05 2026-05-01T00:00:00.000Z',
      'late@example.org days-1 2026-05-05 2026-05-04T10:00:00.000Z',
      'late@example.org grace-7 2026-05-05 2026-05-12T10:00:00.000Z',
    ]);
  });

  it('ignores members of programs outside the audience and churned members', () => {
    const oss = member({ email: 'oss@example.org', program: 'open-source', expiresAt: new Date('2026-06-30T12:00:00Z') });
    const churned = member({ email: 'gone@example.org', status: 'churned', expiresAt: new Date('2026-06-30T12:00:00Z') });
    expect(simulate({ campaign: renewal, members: [oss, churned], content: [], from, days: 90 })).toEqual([]);
  });
});
