// What applicants to the contributor program hear from us (see _applicant-messages.ts).
import { applicantMessages } from './_applicant-messages.ts';

export default applicantMessages('contributor', 'https://flywheel.example/apply/contributor');
