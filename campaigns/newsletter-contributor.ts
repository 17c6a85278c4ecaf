// Monthly newsletter for the contributor program (shape shared in _newsletter.ts).
import { monthlyNewsletter } from './_newsletter.ts';

export default monthlyNewsletter('contributor');
