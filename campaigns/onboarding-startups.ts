// Onboarding drip for startups (shape in _onboarding.ts).
import { onboarding } from './_onboarding.ts';

export default onboarding('startups', [
  { title: 'Activate your startup credits', intro: 'your credits are ready for the whole team.', task: { title: 'Invite your team', body: 'Add seats for everyone who ships.', url: 'https://docs.flywheel.example/startups/team' } },
  { title: 'Book your architecture review', intro: 'thirty minutes with a solutions engineer, on us.', task: { title: 'Book a slot', body: 'Pick a time that suits you.', url: 'https://flywheel.example/startups/review' } },
  { title: 'Join the founders forum', intro: 'ask other founders how they scaled.', task: { title: 'Join the forum', body: 'Monthly AMAs with our engineers.', url: 'https://flywheel.example/startups/forum' } },
]);
