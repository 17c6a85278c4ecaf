// Renewal series for the yearly programs: 30, 7 and 1 days before expiry, and a grace
// note 7 days after, each at 10:00 in the member's zone. Renewing moves expiresAt, which
// ends the current series at once. Renewal notices are transactional.
import { days, defineCampaign } from '../engine/campaigns/index.ts';
import { yearlyPrograms } from './segments.ts';

const common = {
  template: 'renewal-reminder',
  data: {
    renewUrl: 'https://flywheel.example/renew',
    helpEmail: 'programs@flywheel.example',
    benefits: ['Credits for your projects', 'Priority support', 'Invitations to member events'],
  },
} as const;

export default defineCampaign({
  kind: 'renewal',
  name: 'renewal-yearly',
  description: 'Yearly membership renewal reminders with a one-week grace note.',
  audience: yearlyPrograms,
  steps: [
    { id: 'days-30', before: days(30), at: '10:00', subject: 'Your membership ends in {{daysLeft}} days', ...common },
    { id: 'days-7', before: days(7), at: '10:00', subject: 'One week left: renew your membership', ...common },
    { id: 'days-1', before: days(1), at: '10:00', subject: 'Your membership ends tomorrow', ...common },
    { id: 'grace-7', after: days(7), at: '10:00', subject: 'Your membership has ended: renew to keep your benefits', ...common },
  ],
});
