import { describe, expect, it } from 'vitest';
import { defineCampaign, where } from '../../engine/campaigns/index.ts';
import { dueSends, simulate } from '../../engine/planner/index.ts';
import { campaign, item, member, row } from './factories.ts';

const monthly = (timezone: string) =>
  campaign(
    defineCampaign({
      kind: 'newsletter',
      name: 'newsletter-education',
      audience: where.program('education'),
      schedule: { cron: '0 9 * * 2#1', timezone }, // first Tuesday, 09:00
      digest: { maxItems: 2, lookback: { days: 40 } },
      template: 'newsletter',
      subject: 'Issue {{issue.number}}',
    }),
  );

const content = [
  item('a', '2025-12-20T10:00:00Z'),
  item('b', '2025-12-28T10:00:00Z'),
  item('c', '2026-01-02T10:00:00Z'),
  item('d', '2026-01-20T10:00:00Z', { programs: ['startups'] }),
  item('e', '2026-02-25T10:00:00Z'),
];

describe('monthly newsletter', () => {
  const ada = member({ email: 'ada@example.org', timezone: 'Europe/Berlin' });
  const kenji = member({ email: 'kenji@example.org', timezone: 'Asia/Tokyo' });

  it("goes out on the first Tuesday at 09:00 in each member's own zone, one issue per month", () => {
    const plan = simulate({ campaign: monthly('member'), members: [ada, kenji], content, from: new Date('2026-01-01T00:00:00Z'), days: 90 });
    expect(plan.map(row)).toEqual([
      'kenji@example.org issue 2026-01 2026-01-06T00:00:00.000Z',
      'ada@example.org issue 2026-01 2026-01-06T08:00:00.000Z',
      'kenji@example.org issue 2026-03 2026-03-03T00:00:00.000Z',
      'ada@example.org issue 2026-03 2026-03-03T08:00:00.000Z',
    ]);
  });

  it('each digest holds only items not sent before, newest first, for the member program', () => {
    const plan = simulate({ campaign: monthly('Europe/Berlin'), members: [ada], content, from: new Date('2026-01-01T00:00:00Z'), days: 90 });
    // January: c, b (max 2); February: only a is left, and it is outside the 40-day lookback -> issue skipped; March: e
    expect(plan.map((s) => [s.occurrence, s.data.itemIds])).toEqual([
      ['2026-01', ['c', 'b']],
      ['2026-03', ['e']],
    ]);
    expect(plan[0]?.data.issue).toMatchObject({ key: '2026-01', number: 1 });
    expect(plan[1]?.data.issue).toMatchObject({ key: '2026-03', number: 2 });
  });

  it('reads what was already sent from the send-log payload', () => {
    const history = { sends: [{ step: 'issue', occurrence: '2026-01', status: 'sent', payload: { itemIds: ['c', 'b'] } }] };
    const due = dueSends({ campaign: monthly('Europe/Berlin'), member: ada, history, content: [...content, item('f', '2026-02-01T00:00:00Z')], now: new Date('2026-02-03T08:00:00Z') });
    expect(due.map((s) => [s.occurrence, s.data.itemIds])).toEqual([['2026-02', ['f']]]);
  });

  it('a member who turned the newsletter topic off gets nothing', () => {
    const off = member({ email: 'off@example.org', topics: { newsletter: false, events: true, caseStudies: true } });
    expect(simulate({ campaign: monthly('UTC'), members: [off], content, from: new Date('2026-01-01T00:00:00Z'), days: 90 })).toEqual([]);
  });
});
