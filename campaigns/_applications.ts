// How people apply to each program: the form's fields, the rules that decide the clear
// cases at once, the decision promise in business days, the program's calendar and who
// reviews the rest. Rules are plain functions of the application: test them like any code.
import { awardIfEmailDomain, awardIfFieldIn, defineApplication, defineApplications } from '../engine/applications/index.ts';

/** Academic mail domains that prove an educator or student without review. */
const ACADEMIC_DOMAINS = ['edu', 'ac.uk', 'ac.jp', 'edu.au', 'ac.nz', 'edu.cn', 'uni-heidelberg.de', 'ethz.ch', 'epfl.ch'];

/** OSI-approved licences, as SPDX identifiers. */
const OSI_LICENCES = [
  'MIT', 'MIT-0', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', '0BSD', 'ISC', 'Zlib', 'BSL-1.0', 'PostgreSQL', 'UPL-1.0',
  'MPL-2.0', 'EPL-2.0', 'EUPL-1.2', 'CDDL-1.0', 'Artistic-2.0', 'Unlicense',
  'LGPL-2.1-only', 'LGPL-2.1-or-later', 'LGPL-3.0-only', 'LGPL-3.0-or-later',
  'GPL-2.0-only', 'GPL-2.0-or-later', 'GPL-3.0-only', 'GPL-3.0-or-later', 'AGPL-3.0-only', 'AGPL-3.0-or-later',
];

const US_HOLIDAYS = ['2026-01-01', '2026-01-19', '2026-05-25', '2026-07-03', '2026-09-07', '2026-11-26', '2026-12-25', '2027-01-01', '2027-01-18', '2027-05-31'];
const BERLIN_HOLIDAYS = ['2026-01-01', '2026-04-03', '2026-04-06', '2026-05-01', '2026-05-14', '2026-05-25', '2026-10-03', '2026-12-25', '2026-12-26', '2027-01-01'];

export default defineApplications({
  education: defineApplication({
    title: 'Apply to Flywheel for Education',
    intro: 'Free seats for classrooms and research groups. Academic email addresses are approved at once.',
    fields: {
      institution: { kind: 'text', label: 'Institution', help: 'Your school, college or university' },
      role: { kind: 'select', label: 'Role', options: [{ value: 'educator', label: 'Educator' }, { value: 'student', label: 'Student' }, { value: 'researcher', label: 'Researcher' }] },
      course: { kind: 'textarea', label: 'How will you use it?', required: false, maxLength: 2000 },
    },
    rules: [awardIfEmailDomain('academic-email', ACADEMIC_DOMAINS)],
    decideWithin: 10,
    calendar: { zone: 'America/New_York', holidays: US_HOLIDAYS },
    managers: ['education-team@flywheel.example'],
  }),
  'open-source': defineApplication({
    title: 'Apply to Flywheel for Open Source',
    intro: 'For public projects under an OSI-approved licence.',
    fields: {
      repository: { kind: 'url', label: 'Repository URL', help: 'The public repository of the project' },
      licence: { kind: 'text', label: 'Licence', help: 'Its SPDX identifier, e.g. MIT or Apache-2.0', maxLength: 64 },
      project: { kind: 'textarea', label: 'What does the project do?', required: false, maxLength: 2000 },
    },
    rules: [awardIfFieldIn('osi-licence', 'licence', OSI_LICENCES)],
    decideWithin: 5,
    calendar: { zone: 'UTC' },
    managers: ['oss-team@flywheel.example'],
  }),
  startups: defineApplication({
    title: 'Apply to Flywheel for Startups',
    intro: 'Credits for young companies, up to Series A.',
    fields: {
      company: { kind: 'text', label: 'Company' },
      companyUrl: { kind: 'url', label: 'Company website' },
      fundingStage: { kind: 'select', label: 'Funding stage', options: [
        { value: 'bootstrapped', label: 'Bootstrapped' }, { value: 'pre-seed', label: 'Pre-seed' }, { value: 'seed', label: 'Seed' },
        { value: 'series-a', label: 'Series A' }, { value: 'later', label: 'Series B or later' },
      ] },
    },
    rules: [{
      name: 'funding-stage',
      decide: (a) => (a.fields.fundingStage === 'later' ? { decision: 'decline', reason: 'the program is for companies up to Series A' } : undefined),
    }],
    decideWithin: 10,
    calendar: { zone: 'Europe/Berlin', holidays: BERLIN_HOLIDAYS },
    managers: ['startups-team@flywheel.example'],
  }),
  contributor: defineApplication({
    title: 'Join Flywheel Contributors',
    intro: 'For people who write, speak and build with Flywheel.',
    fields: {
      profile: { kind: 'url', label: 'Profile or portfolio URL' },
      contribution: { kind: 'textarea', label: 'A contribution you are proud of', maxLength: 2000 },
    },
    decideWithin: 10,
    calendar: { zone: 'UTC' },
    managers: ['community-team@flywheel.example'],
  }),
});
