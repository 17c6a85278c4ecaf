// The programs this team runs. Campaigns target them with `where.program(...)`, member
// imports must name one of them, and templates read the member's own program as
// `{{program.name}}` (the display name) and `{{program.url}}`.
import { definePrograms } from '../engine/campaigns/index.ts';

export const programs = definePrograms({
  education: {
    displayName: 'Flywheel for Education',
    url: 'https://flywheel.example/education',
    timezone: 'America/New_York',
    renewalPeriod: { years: 1 },
    topics: ['newsletter', 'events', 'caseStudies'],
  },
  'open-source': {
    displayName: 'Flywheel for Open Source',
    url: 'https://flywheel.example/open-source',
    timezone: 'UTC',
    renewalPeriod: { years: 1 },
    topics: ['newsletter', 'events', 'caseStudies'],
  },
  startups: {
    displayName: 'Flywheel for Startups',
    url: 'https://flywheel.example/startups',
    timezone: 'America/Los_Angeles',
    renewalPeriod: { years: 1 },
    topics: ['newsletter', 'events', 'caseStudies'],
  },
  contributor: {
    displayName: 'Flywheel Contributors',
    url: 'https://flywheel.example/contributors',
    timezone: 'UTC',
    topics: ['newsletter', 'events', 'caseStudies'],
  },
});

export default programs;

// Hands the program names to the type checker: `where.program('educaton')` does not compile.
declare module '../engine/campaigns/index.ts' {
  interface Register {
    programs: typeof programs;
  }
}
