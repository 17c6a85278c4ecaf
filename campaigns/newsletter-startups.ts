// Monthly newsletter for the startups program (shape shared in _newsletter.ts).
import { monthlyNewsletter } from './_newsletter.ts';

export default monthlyNewsletter('startups');
