// What applicants to the startups program hear from us (see _applicant-messages.ts).
import { applicantMessages } from './_applicant-messages.ts';

export default applicantMessages('startups', 'https://flywheel.example/apply/startups');
