import { describe, expect, it } from 'vitest';
import { days, defineCampaign, where } from '../../engine/campaigns/index.ts';
import { dueSends, simulate } from '../../engine/planner/index.ts';
import { campaign, item, member, row } from './factories.ts';

describe('case-study promotion', () => {
  const promo = campaign(
    defineCampaign({ kind: 'case-study', name: 'case-studies', tags: ['case-study'], template: 'case-study', subject: 'Case study: {{study.title}}' }),
  );
  const startup = member({ email: 'sam@example.org', program: 'startups' });
  const educator = member({ email: 'ada@example.org', program: 'education' });
  const content = [
    item('northwind', '2026-02-10T14:00:00Z', { tags: ['case-study'], programs: ['startups'], title: 'Northwind' }),
    item('blog', '2026-02-11T14:00:00Z', { tags: ['blog'] }),
    item('old', '2025-06-01T00:00:00Z', { tags: ['case-study'] }),
  ];

  it('promotes a new case study once, when it appears, to members of its programs only', () => {
    const plan = simulate({ campaign: promo, members: [startup, educator], content, from: new Date('2026-02-01T00:00:00Z'), days: 90 });
    expect(plan.map(row)).toEqual(['sam@example.org promote northwind 2026-02-10T14:00:00.000Z']);
    expect(plan[0]?.data.study).toMatchObject({ title: 'Northwind', url: 'https://flywheel.example/northwind' });
    expect(plan[0]?.topic).toBe('caseStudies');
  });

  it('never promotes the same item twice', () => {
    const history = { sends: [{ step: 'promote', occurrence: 'northwind', status: 'sent' }] };
    expect(dueSends({ campaign: promo, member: startup, history, content, now: new Date('2026-02-12T00:00:00Z') })).toEqual([]);
  });
});

describe('event invite', () => {
  const hackathon = campaign(
    defineCampaign({
      kind: 'event',
      name: 'hackathon',
      audience: where.program('contributor'),
      event: { title: 'Hackathon', start: '2026-11-14T10:00', end: '2026-11-15T17:00', timezone: 'Europe/Berlin', location: 'Berlin' },
      invite: { before: days(30), template: 'event-invite', subject: 'Invite' },
      reminder: { before: days(10), template: 'event-invite', subject: 'Reminder' },
      dayBefore: { template: 'event-reminder', subject: 'Tomorrow' },
    }),
  );
  const yes = member({ email: 'yes@example.org', program: 'contributor' });
  const no = member({ email: 'no@example.org', program: 'contributor' });
  const silent = member({ email: 'silent@example.org', program: 'contributor', timezone: 'America/New_York' });
  const answers: Record<string, 'yes' | 'no'> = { [String(yes._id)]: 'yes', [String(no._id)]: 'no' };

  it('invites everyone, reminds those who did not answer, and writes the day before to those who said yes', () => {
    const plan = simulate({ campaign: hackathon, members: [yes, no, silent], content: [], from: new Date('2026-10-01T00:00:00Z'), days: 60, rsvp: (id) => answers[id] });
    expect(plan.map(row)).toEqual([
      // 30 days before 10:00 Berlin (summer time, UTC+2)
      'no@example.org invite - 2026-10-15T08:00:00.000Z',
      'silent@example.org invite - 2026-10-15T08:00:00.000Z',
      'yes@example.org invite - 2026-10-15T08:00:00.000Z',
      // 10 days before, Berlin is back on UTC+1
      'silent@example.org reminder - 2026-11-04T09:00:00.000Z',
      'yes@example.org day-before - 2026-11-13T09:00:00.000Z',
    ]);
  });

  it('attaches an .ics calendar file with the event in UTC', () => {
    const [invite] = dueSends({ campaign: hackathon, member: silent, history: { sends: [] }, content: [], now: new Date('2026-10-15T08:00:00Z') });
    const ics = invite?.attachments?.[0];
    expect(ics).toMatchObject({ filename: 'invite.ics', contentType: 'text/calendar; charset=utf-8' });
    expect(ics?.content).toContain('DTSTART:20261114T090000Z');
    expect(ics?.content).toContain('DTEND:20261115T160000Z');
    expect(ics?.content).toContain('UID:hackathon@flywheel');
    expect(invite?.data.event).toMatchObject({ title: 'Hackathon', startsAt: '2026-11-14T09:00:00.000Z', startLocal: 'Saturday 14 November 2026, 04:00 EST' });
    expect(invite?.topic).toBe('events');
  });
});

describe('broadcast', () => {
  const launch = campaign(defineCampaign({ kind: 'broadcast', name: 'launch', at: '2026-09-01T09:00', template: 'newsletter', subject: 'News' }));

  it("goes out once at 09:00 in each member's zone", () => {
    const members = [member({ email: 'b@example.org', timezone: 'Europe/Berlin' }), member({ email: 'n@example.org', timezone: 'America/New_York' })];
    expect(simulate({ campaign: launch, members, content: [], from: new Date('2026-08-30T00:00:00Z'), days: 10 }).map(row)).toEqual([
      'b@example.org send - 2026-09-01T07:00:00.000Z',
      'n@example.org send - 2026-09-01T13:00:00.000Z',
    ]);
  });
});
