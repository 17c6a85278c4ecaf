// Onboarding drip for the education program: starts when a member is awarded, three
// steps over two weeks at 09:00 in the member's own time zone. Members who did not open
// the welcome within 3 days get it again with another subject (an engagement branch).
import { and, days, defineCampaign, where } from '../engine/campaigns/index.ts';

export default defineCampaign({
  kind: 'drip',
  name: 'onboarding-education',
  description: 'Welcome series after a member of the education program is awarded.',
  audience: and(where.program('education'), where.status('active')),
  entry: { on: 'awardedAt' },
  // stop the series as soon as a member is no longer active
  exit: where.status('expired', 'churned'),
  steps: [
    {
      id: 'welcome',
      after: days(0),
      template: 'onboarding-step',
      subject: 'Welcome to {{program.name}}: step {{step.number}} of {{step.total}}',
      data: {
        step: {
          number: 1, total: 3, title: 'Set up your classroom',
          intro: 'your award is active. Here is how to get your students started.',
          tasks: [{ title: 'Create a class', body: 'Invite students with one link.', url: 'https://docs.flywheel.example/edu/classes' }],
          ctaLabel: 'Open the classroom guide', ctaUrl: 'https://docs.flywheel.example/edu',
        },
      },
    },
    {
      id: 'welcome-again',
      branch: { step: 'welcome', did: 'notOpened', within: days(3) },
      at: '09:00',
      template: 'onboarding-step',
      subject: 'Did you miss this? Your {{program.name}} classroom is ready',
      data: {
        step: {
          number: 1, total: 3, title: 'Set up your classroom',
          intro: 'in case our first note got buried: your award is active.',
          tasks: [{ title: 'Create a class', body: 'Invite students with one link.', url: 'https://docs.flywheel.example/edu/classes' }],
          ctaLabel: 'Open the classroom guide', ctaUrl: 'https://docs.flywheel.example/edu',
        },
      },
    },
    {
      id: 'curriculum',
      after: days(5),
      at: '09:00',
      template: 'onboarding-step',
      subject: 'Step {{step.number}} of {{step.total}}: {{step.title}}',
      data: {
        step: {
          number: 2, total: 3, title: 'Plug in the curriculum',
          intro: 'ready-made labs your students can run in the browser.',
          tasks: [{ title: 'Browse the labs', body: 'Twelve labs, each one lesson long.', url: 'https://docs.flywheel.example/edu/labs' }],
          ctaLabel: 'See the labs', ctaUrl: 'https://docs.flywheel.example/edu/labs',
        },
      },
    },
    {
      id: 'showcase',
      after: days(14),
      at: '09:00',
      template: 'onboarding-step',
      subject: 'Step {{step.number}} of {{step.total}}: {{step.title}}',
      data: {
        step: {
          number: 3, total: 3, title: 'Show what your class built',
          intro: 'submit a project to the student showcase.',
          tasks: [{ title: 'Submit a project', body: 'We feature three classes every month.', url: 'https://flywheel.example/edu/showcase' }],
          ctaLabel: 'Submit a project', ctaUrl: 'https://flywheel.example/edu/showcase',
        },
      },
    },
  ],
});
