// Onboarding drip for community contributors (shape in _onboarding.ts).
import { onboarding } from './_onboarding.ts';

export default onboarding('contributor', [
  { title: 'Pick your first issue', intro: 'welcome aboard! Good first issues are waiting.', task: { title: 'Browse good first issues', body: 'Filtered to the projects you chose.', url: 'https://flywheel.example/contribute/issues' } },
  { title: 'Get your contributor swag', intro: 'your first merged pull request earns a parcel.', task: { title: 'Claim swag', body: 'Tell us where to send it.', url: 'https://flywheel.example/contribute/swag' } },
  { title: 'Join a community call', intro: 'maintainers and contributors meet every other Thursday.', task: { title: 'See the calendar', body: 'Calls are recorded, too.', url: 'https://flywheel.example/contribute/calls' } },
]);
