// A one-off broadcast: the program-wide announcement, sent at 09:00 local time for each member.
import { defineCampaign, where } from '../engine/campaigns/index.ts';

export default defineCampaign({
  kind: 'broadcast',
  name: 'launch-announcement-2026',
  description: 'One newsletter to every active member announcing the 2026 programs.',
  audience: where.status('active'),
  topic: 'newsletter',
  at: '2026-09-01T09:00',
  template: 'newsletter',
  subject: '{{program.name}}: what is new for 2026',
  data: {
    program: { name: 'Flywheel Programs', url: 'https://flywheel.example/programs' },
    issue: { title: 'The 2026 programs', number: 0, date: '2026-09-01T09:00:00Z' },
    intro: 'four programs, one community: here is what changes this year.',
    items: [],
    cta: { label: 'Read the announcement', url: 'https://flywheel.example/blog/2026' },
  },
});
