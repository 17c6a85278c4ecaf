// The messages every program sends its applicants, from one shape: received (with the date
// we promise to decide by), needs more information (with the reviewer's question), awarded
// and declined (with the reason). Transactional: they reach applicants whatever their topics.
// Templates read `program` (name, url) of the program applied to, from campaigns/programs.ts.
import { defineCampaign, type CampaignDefinition, type Program } from '../engine/campaigns/index.ts';

export function applicantMessages(p: Program, formUrl: string): CampaignDefinition {
  return defineCampaign({
    kind: 'application',
    name: `applications-${p}`,
    description: `Messages to applicants of the ${p} program.`,
    program: p,
    messages: {
      received: {
        template: 'application-update', subject: 'We have your application to {{program.name}}',
        data: { heading: 'Thank you for applying', intro: 'we have your application and a person from the program team will read it.', showDueDate: true },
      },
      'needs-info': {
        template: 'application-update', subject: 'A question about your application to {{program.name}}',
        data: { heading: 'One more thing before we decide', intro: 'we read your application and need one more detail from you. Send the form again with the same email address and we will pick it up.', reasonLabel: 'What we need', showDueDate: true, cta: { label: 'Update your application', url: formUrl } },
      },
      awarded: {
        template: 'application-update', subject: 'Welcome to {{program.name}}: your application is approved',
        data: { heading: 'You are in!', intro: 'your application is approved. Your first getting-started email follows shortly.', reasonLabel: 'Why', cta: { label: 'Open the getting-started guide', url: 'https://docs.flywheel.example/start' } },
      },
      declined: {
        template: 'application-update', subject: 'Your application to {{program.name}}',
        data: { heading: 'About your application', intro: 'thank you for your interest. This time we cannot offer you a place in the program.', reasonLabel: 'Why' },
      },
    },
  });
}
