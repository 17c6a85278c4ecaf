// Monthly newsletter for the education program (shape shared in _newsletter.ts).
import { monthlyNewsletter } from './_newsletter.ts';

export default monthlyNewsletter('education');
