// Case-study promotion: every new content item tagged "case-study" is promoted once to
// active members of the programs it names (all programs when it names none).
import { defineCampaign, where } from '../engine/campaigns/index.ts';

export default defineCampaign({
  kind: 'case-study',
  name: 'case-studies',
  description: 'Promote each new case study once to the matching members.',
  audience: where.status('active'),
  tags: ['case-study'],
  maxAge: { days: 30 },
  template: 'case-study',
  subject: 'Case study: {{study.title}}',
  preheader: 'How another team did it, with numbers',
});
