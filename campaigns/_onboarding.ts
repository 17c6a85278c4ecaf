// The onboarding shape shared by the open-source, startups and contributor programs:
// welcome on award, the same welcome again to those who did not open it within 3 days,
// then two follow-ups at 09:00 in the member's own zone. (Education has its own file.)
import { and, days, defineCampaign, where, type CampaignDefinition, type Program } from '../engine/campaigns/index.ts';

interface Lesson {
  title: string;
  intro: string;
  task: { title: string; body: string; url: string };
}

export function onboarding(p: Program, lessons: [Lesson, Lesson, Lesson]): CampaignDefinition {
  // `program` (name, url) comes from campaigns/programs.ts: each member sees their own
  const step = (n: number, lesson: Lesson) => ({
    step: { number: n, total: 3, title: lesson.title, intro: lesson.intro, tasks: [lesson.task], ctaLabel: lesson.task.title, ctaUrl: lesson.task.url },
  });
  return defineCampaign({
    kind: 'drip',
    name: `onboarding-${p}`,
    description: `Welcome series after a member of the ${p} program is awarded.`,
    audience: and(where.program(p), where.status('active')),
    entry: { on: 'awardedAt' },
    exit: where.status('expired', 'churned'),
    steps: [
      { id: 'welcome', after: days(0), template: 'onboarding-step', subject: 'Welcome to {{program.name}}', data: step(1, lessons[0]) },
      { id: 'welcome-again', branch: { step: 'welcome', did: 'notOpened', within: days(3) }, at: '09:00', template: 'onboarding-step', subject: 'Did you miss this? Getting started with {{program.name}}', data: step(1, lessons[0]) },
      { id: 'next-steps', after: days(7), at: '09:00', template: 'onboarding-step', subject: 'Step {{step.number}} of {{step.total}}: {{step.title}}', data: step(2, lessons[1]) },
      { id: 'community', after: days(21), at: '09:00', template: 'onboarding-step', subject: 'Step {{step.number}} of {{step.total}}: {{step.title}}', data: step(3, lessons[2]) },
    ],
  });
}
