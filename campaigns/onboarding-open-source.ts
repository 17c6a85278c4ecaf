// Onboarding drip for open-source maintainers (shape in _onboarding.ts).
import { onboarding } from './_onboarding.ts';

export default onboarding('open-source', [
  { title: 'Claim your project credits', intro: 'your project is in. Here is how to use its credits.', task: { title: 'Activate credits', body: 'Link your repository and the credits appear.', url: 'https://docs.flywheel.example/oss/credits' } },
  { title: 'Set up CI for your contributors', intro: 'free builds for every pull request.', task: { title: 'Enable CI', body: 'One file in your repository.', url: 'https://docs.flywheel.example/oss/ci' } },
  { title: 'Meet the other maintainers', intro: 'the maintainers channel is where ideas get shared first.', task: { title: 'Join the channel', body: 'Say hello and share your project.', url: 'https://flywheel.example/oss/community' } },
]);
