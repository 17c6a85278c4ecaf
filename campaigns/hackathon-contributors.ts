// Event invite: the contributor hackathon. Invite 30 days before, a reminder 10 days
// before to those who have not answered, and a day-before note to those who said yes.
// Invites and the day-before note carry an .ics calendar file.
import { days, defineCampaign, and, where } from '../engine/campaigns/index.ts';

export default defineCampaign({
  kind: 'event',
  name: 'hackathon-contributors-2026',
  description: 'Contributor hackathon, Berlin and online.',
  audience: and(where.program('contributor'), where.status('active')),
  event: {
    title: 'Flywheel Contributor Hackathon 2026',
    start: '2026-11-14T10:00',
    end: '2026-11-15T17:00',
    timezone: 'Europe/Berlin',
    location: 'c-base, Berlin and online',
    url: 'https://flywheel.example/events/hackathon-2026',
    description: 'Two days of hacking on Flywheel open-source projects with the maintainers.',
  },
  invite: { before: days(30), template: 'event-invite', subject: "You're invited: {{event.title}}" },
  reminder: { before: days(10), template: 'event-invite', subject: 'Will you join us? {{event.title}}' },
  dayBefore: {
    template: 'event-reminder',
    subject: 'Tomorrow: {{event.title}}',
    data: { reminder: { headline: 'See you tomorrow' }, event: { joinUrl: 'https://meet.flywheel.example/hackathon-2026' } },
  },
});
