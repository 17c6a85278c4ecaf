// What applicants to the education program hear from us (see _applicant-messages.ts).
import { applicantMessages } from './_applicant-messages.ts';

export default applicantMessages('education', 'https://flywheel.example/apply/education');
