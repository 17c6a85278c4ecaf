// What applicants to the open-source program hear from us (see _applicant-messages.ts).
import { applicantMessages } from './_applicant-messages.ts';

export default applicantMessages('open-source', 'https://flywheel.example/apply/open-source');
