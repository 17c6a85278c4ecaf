// One monthly newsletter per program, built from the same shape: first Tuesday of the
// month at 09:00 in the member's own time zone, up to six items not sent to them before.
import { defineCampaign, type CampaignDefinition, type Program, where, and } from '../engine/campaigns/index.ts';

export function monthlyNewsletter(p: Program): CampaignDefinition {
  return defineCampaign({
    kind: 'newsletter',
    name: `newsletter-${p}`,
    description: `Monthly digest for the ${p} program.`,
    audience: and(where.program(p), where.status('active')),
    schedule: { cron: '0 9 * * 2#1', timezone: 'member' },
    // never in the middle of the night or at the weekend, in the member's own time zone
    sendWindow: { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' },
    digest: { maxItems: 6, lookback: { days: 60 } },
    template: 'newsletter',
    subject: '{{program.name}} #{{issue.number}}: {{issue.title}}',
    preheader: 'What the community shipped this month',
    data: {
      issue: { title: 'This month in the program' },
      intro: 'here is what the community shipped, wrote and asked about this month.',
      cta: { label: 'Browse the archive', url: 'https://flywheel.example/newsletter' },
    },
  });
}
