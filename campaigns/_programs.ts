// Per-program display data the templates read as `program.name` / `program.url`.
import type { Program } from '../engine/campaigns/index.ts';

export const programInfo: Record<Program, { name: string; url: string }> = {
  education: { name: 'Flywheel for Education', url: 'https://flywheel.example/education' },
  'open-source': { name: 'Flywheel for Open Source', url: 'https://flywheel.example/open-source' },
  startups: { name: 'Flywheel for Startups', url: 'https://flywheel.example/startups' },
  contributor: { name: 'Flywheel Contributors', url: 'https://flywheel.example/contributors' },
};
