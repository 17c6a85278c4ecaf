// Monthly newsletter for the open-source program (shape shared in _newsletter.ts).
import { monthlyNewsletter } from './_newsletter.ts';

export default monthlyNewsletter('open-source');
