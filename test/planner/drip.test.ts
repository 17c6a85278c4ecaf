import { describe, expect, it } from 'vitest';
import { and, days, defineCampaign, where } from '../../engine/campaigns/index.ts';
import { dueSends, simulate } from '../../engine/planner/index.ts';
import { campaign, member, row } from './factories.ts';

const onboarding = campaign(
  defineCampaign({
    kind: 'drip',
    name: 'onboarding',
    audience: and(where.program('education'), where.status('active')),
    entry: { on: 'awardedAt' },
    exit: where.status('churned'),
    steps: [
      { id: 'welcome', after: days(0), template: 'onboarding-step', subject: 'Welcome' },
      { id: 'welcome-again', branch: { step: 'welcome', did: 'notOpened', within: days(3) }, at: '09:00', template: 'onboarding-step', subject: 'Did you miss this?' },
      { id: 'curriculum', after: days(5), at: '09:00', template: 'onboarding-step', subject: 'Curriculum' },
      { id: 'showcase', after: days(14), at: '09:00', template: 'onboarding-step', subject: 'Showcase' },
    ],
  }),
);

describe('onboarding drip', () => {
  const ada = member({ email: 'ada@example.org', timezone: 'Europe/Berlin', awardedAt: new Date('2026-03-02T10:15:00Z') });
  const bob = member({ email: 'bob@example.org', timezone: 'America/New_York', awardedAt: new Date('2026-03-02T15:00:00Z') });
  const startup = member({ email: 'sam@example.org', program: 'startups', awardedAt: new Date('2026-03-02T15:00:00Z') });

  it('sends each step at its delay after the award, at 09:00 in the member zone, across DST', () => {
    const plan = simulate({ campaign: onboarding, members: [ada, bob, startup], content: [], from: new Date('2026-03-01T00:00:00Z'), days: 30, opens: (id) => id === ada._id });
    expect(plan.map(row)).toEqual([
      'ada@example.org welcome - 2026-03-02T10:15:00.000Z',
      'bob@example.org welcome - 2026-03-02T15:00:00.000Z',
      // Bob did not open the welcome within 3 days: the variant goes out the next 09:00 New York (EST)
      'bob@example.org welcome-again - 2026-03-06T14:00:00.000Z',
      'ada@example.org curriculum - 2026-03-07T08:00:00.000Z',
      'bob@example.org curriculum - 2026-03-07T14:00:00.000Z',
      'ada@example.org showcase - 2026-03-16T08:00:00.000Z',
      // New York is on daylight time after 8 March: 09:00 EDT = 13:00Z
      'bob@example.org showcase - 2026-03-16T13:00:00.000Z',
    ]);
  });

  it('a member who opened the first step within 3 days gets no variant', () => {
    const plan = simulate({ campaign: onboarding, members: [ada], content: [], from: new Date('2026-03-01T00:00:00Z'), days: 30, opens: () => true });
    expect(plan.map((s) => s.step)).toEqual(['welcome', 'curriculum', 'showcase']);
  });

  it('an open after the 3-day window does not count', () => {
    const sentAt = new Date('2026-03-02T10:15:00Z');
    const history = { sends: [{ step: 'welcome', occurrence: '', status: 'sent', sentAt, firstOpenedAt: new Date('2026-03-05T12:00:00Z') }] };
    const due = dueSends({ campaign: onboarding, member: ada, history, content: [], now: new Date('2026-03-06T08:00:00Z') });
    expect(due.map((s) => s.step)).toEqual(['welcome-again']);
  });

  it('is idempotent: a step already in the history is never due again, whatever its status', () => {
    const now = new Date('2026-03-02T12:00:00Z');
    expect(dueSends({ campaign: onboarding, member: ada, history: { sends: [] }, content: [], now }).map((s) => s.step)).toEqual(['welcome']);
    const again = dueSends({ campaign: onboarding, member: ada, history: { sends: [{ step: 'welcome', occurrence: '', status: 'failed' }] }, content: [], now });
    expect(again).toEqual([]);
  });

  it('stops for a member who leaves (exit condition) or unsubscribes', () => {
    const now = new Date('2026-03-07T09:00:00Z');
    const history = { sends: [{ step: 'welcome', occurrence: '', status: 'sent', sentAt: new Date('2026-03-02T10:15:00Z'), firstOpenedAt: new Date('2026-03-02T11:00:00Z') }] };
    expect(dueSends({ campaign: onboarding, member: ada, history, content: [], now }).map((s) => s.step)).toEqual(['curriculum']);
    expect(dueSends({ campaign: onboarding, member: { ...ada, status: 'churned' }, history, content: [], now })).toEqual([]);
    expect(dueSends({ campaign: onboarding, member: { ...ada, unsubscribedAt: new Date('2026-03-03T00:00:00Z') }, history, content: [], now })).toEqual([]);
  });

  it('does not start the series for members awarded long before the campaign existed', () => {
    const veteran = member({ email: 'vet@example.org', awardedAt: new Date('2024-01-10T10:00:00Z') });
    expect(simulate({ campaign: onboarding, members: [veteran], content: [], from: new Date('2026-03-01T00:00:00Z'), days: 90 })).toEqual([]);
  });

  it('fills the planned send with the step message and the member', () => {
    const [send] = dueSends({ campaign: onboarding, member: ada, history: { sends: [] }, content: [], now: new Date('2026-03-02T10:15:00Z') });
    expect(send).toMatchObject({ campaign: 'onboarding', step: 'welcome', occurrence: '', memberId: ada._id, email: 'ada@example.org', program: 'education', template: 'onboarding-step', subject: 'Welcome', category: 'marketing' });
  });
});
