// The programs this team runs. Campaigns target them with `where.program(...)`, member
// imports must name one of them, and templates read the member's own program as
// `{{program.name}}` (the display name) and `{{program.url}}`.
//
// A program that takes applications declares them under `applications`: the form's fields,
// rules that decide the clear cases at once (plain functions: test them like any code), the
// decision promise in business days, holidays in the program's time zone, and who reviews.
import { definePrograms } from '../engine/campaigns/index.ts';
import { awardIfEmailDomain, awardIfFieldIn, defineApplication } from '../engine/applications/index.ts';

/** Academic mail domains that prove an educator or student without review. */
const ACADEMIC_DOMAINS = ['edu', 'ac.uk', 'ac.jp', 'edu.au', 'ac.nz', 'edu.cn', 'uni-heidelberg.de', 'ethz.ch', 'epfl.ch'];

/** OSI-approved licences, as SPDX identifiers. */
const OSI_LICENCES = [
  'MIT', 'MIT-0', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', '0BSD', 'ISC', 'Zlib', 'BSL-1.0', 'PostgreSQL', 'UPL-1.0',
  'MPL-2.0', 'EPL-2.0', 'EUPL-1.2', 'CDDL-1.0', 'Artistic-2.0', 'Unlicense',
  'LGPL-2.1-only', 'LGPL-2.1-or-later', 'LGPL-3.0-only', 'LGPL-3.0-or-later',
  'GPL-2.0-only', 'GPL-2.0-or-later', 'GPL-3.0-only', 'GPL-3.0-or-later', 'AGPL-3.0-only', 'AGPL-3.0-or-later',
];

/** US federal holidays the US-based teams observe. */
const US_HOLIDAYS = ['2026-01-01', '2026-01-19', '2026-05-25', '2026-07-03', '2026-09-07', '2026-11-26', '2026-12-25', '2027-01-01', '2027-01-18', '2027-05-31'];

export const programs = definePrograms({
  education: {
    displayName: 'Flywheel for Education',
    url: 'https://flywheel.example/education',
    timezone: 'America/New_York',
    renewalPeriod: { years: 1 },
    topics: ['newsletter', 'events', 'caseStudies'],
    applications: defineApplication({
      title: 'Apply to Flywheel for Education',
      intro: 'Free seats for classrooms and research groups. Academic email addresses are approved at once.',
      fields: {
        institution: { kind: 'text', label: 'Institution', help: 'Your school, college or university' },
        role: { kind: 'select', label: 'Role', options: [{ value: 'educator', label: 'Educator' }, { value: 'student', label: 'Student' }, { value: 'researcher', label: 'Researcher' }] },
        course: { kind: 'textarea', label: 'How will you use it?', required: false, maxLength: 2000 },
      },
      rules: [awardIfEmailDomain('academic-email', ACADEMIC_DOMAINS)],
      decideWithin: 10,
      calendar: { holidays: US_HOLIDAYS },
      managers: ['education-team@flywheel.example'],
    }),
  },
  'open-source': {
    displayName: 'Flywheel for Open Source',
    url: 'https://flywheel.example/open-source',
    timezone: 'UTC',
    renewalPeriod: { years: 1 },
    topics: ['newsletter', 'events', 'caseStudies'],
    applications: defineApplication({
      title: 'Apply to Flywheel for Open Source',
      intro: 'For public projects under an OSI-approved licence.',
      fields: {
        repository: { kind: 'url', label: 'Repository URL', help: 'The public repository of the project' },
        licence: { kind: 'text', label: 'Licence', help: 'Its SPDX identifier, e.g. MIT or Apache-2.0', maxLength: 64 },
        project: { kind: 'textarea', label: 'What does the project do?', required: false, maxLength: 2000 },
      },
      rules: [awardIfFieldIn('osi-licence', 'licence', OSI_LICENCES)],
      decideWithin: 5,
      managers: ['oss-team@flywheel.example'],
    }),
  },
  startups: {
    displayName: 'Flywheel for Startups',
    url: 'https://flywheel.example/startups',
    timezone: 'America/Los_Angeles',
    renewalPeriod: { years: 1 },
    topics: ['newsletter', 'events', 'caseStudies'],
    applications: defineApplication({
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
      calendar: { holidays: US_HOLIDAYS },
      managers: ['startups-team@flywheel.example'],
    }),
  },
  contributor: {
    displayName: 'Flywheel Contributors',
    url: 'https://flywheel.example/contributors',
    timezone: 'UTC',
    topics: ['newsletter', 'events', 'caseStudies'],
    applications: defineApplication({
      title: 'Join Flywheel Contributors',
      intro: 'For people who write, speak and build with Flywheel.',
      fields: {
        profile: { kind: 'url', label: 'Profile or portfolio URL' },
        contribution: { kind: 'textarea', label: 'A contribution you are proud of', maxLength: 2000 },
      },
      decideWithin: 10,
      managers: ['community-team@flywheel.example'],
    }),
  },
});

export default programs;

// Hands the program names to the type checker: `where.program('educaton')` does not compile.
declare module '../engine/campaigns/index.ts' {
  interface Register {
    programs: typeof programs;
  }
}
