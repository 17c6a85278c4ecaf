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
    issue: { title: 'The 2026 programs', number: 1, date: '2026-09-01T09:00:00Z' },
    intro: 'four programs, one community: here is what changes this year.',
    items: [
      { title: 'Education: free cloud credits for every classroom', url: 'https://flywheel.example/programs/education', summary: 'Teachers get credits for their whole class, renewed each term, plus ready-made course material.', tag: 'Education', meta: 'Program' },
      { title: 'Open Source: sponsored infrastructure for maintainers', url: 'https://flywheel.example/programs/open-source', summary: 'CI minutes, hosting and a security review for projects with an OSI license.', tag: 'Open Source', meta: 'Program' },
      { title: 'Startups: credits and office hours with our engineers', url: 'https://flywheel.example/programs/startups', summary: 'Up to two years of credits and a monthly architecture session for seed-stage teams.', tag: 'Startups', meta: 'Program' },
      { title: 'Contributors: a hackathon in March, and swag that ships', url: 'https://flywheel.example/programs/contributors', summary: 'Our first contributor hackathon, plus a new recognition programme for code and docs contributors.', tag: 'Contributors', meta: 'Program' },
    ],
    cta: { label: 'Read the announcement', url: 'https://flywheel.example/blog/2026' },
  },
});
