import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCampaigns } from '../../engine/campaigns/index.ts';
import { validateProject } from '../../engine/render/validate-project.ts';
import { InvalidInputError } from '../../engine/errors.ts';
import { ROOT_DIR } from '../../engine/store/index.ts';

const engineImport = join(ROOT_DIR, 'engine/campaigns/index.ts');

const PROGRAMS = `import { definePrograms } from 'DSL';
export default definePrograms({
  education: { displayName: 'Flywheel for Education', url: 'https://flywheel.example/education', timezone: 'UTC', topics: ['newsletter'] },
  startups: { displayName: 'Flywheel for Startups', url: 'https://flywheel.example/startups', timezone: 'UTC', topics: ['newsletter'] },
});
`;

/** A campaigns folder holding the given files (importing the DSL by absolute path), with two programs unless given. */
function campaignsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-campaigns-'));
  for (const [name, text] of Object.entries({ 'programs.ts': PROGRAMS, ...files })) writeFileSync(join(dir, name), text.replaceAll('DSL', engineImport));
  return dir;
}

describe('loading campaign files', () => {
  it('loads every real campaign in campaigns/', async () => {
    const campaigns = await loadCampaigns(join(ROOT_DIR, 'campaigns'));
    expect(campaigns.map((c) => c.kind).sort()).toEqual(['application', 'application', 'application', 'application', 'broadcast', 'case-study', 'drip', 'drip', 'drip', 'drip', 'event', 'newsletter', 'newsletter', 'newsletter', 'newsletter', 'renewal']);
  });

  it('reports every runtime mistake with file, line, campaign and field', async () => {
    const dir = campaignsDir({
      'bad-drip.ts': `import { defineCampaign } from 'DSL';
export default defineCampaign({
  kind: 'drip',
  name: 'bad-drip',
  entry: { on: 'awardedAt' },
  steps: [
    { id: 'welcome', after: { days: -2 }, template: 'onboarding-step', subject: 'Hi' },
  ],
  audience: { node: { op: 'program', in: ['enterprise'] } },
} as never);
`,
      'bad-news.ts': `import { defineCampaign } from 'DSL';
export default defineCampaign({
  kind: 'newsletter', name: 'bad-news', template: 'newsletter', subject: 's', digest: { maxItems: 3 },
  schedule: { cron: '0 9 * *', timezone: 'Europe/Berlin' },
  audience: { node: { op: 'relativeDate', field: 'renewedAt', cmp: 'withinLast', days: 3 } },
} as never);
`,
    });
    const err = (await loadCampaigns(dir).catch((e: unknown) => e)) as InvalidInputError;
    expect(err).toBeInstanceOf(InvalidInputError);
    const lines = err.issues.map((i) => `${i.file?.split('/').pop()}:${i.line} ${i.subject} ${i.path}: ${i.message}`);
    expect(lines).toEqual([
      'bad-drip.ts:7 bad-drip steps[0].after.days: days must not be negative',
      'bad-news.ts:5 bad-news audience.node.field: unknown segment field "renewedAt" (date fields: appliedAt, awardedAt, expiresAt, lastEmailedAt, lastOpenedAt, lastClickedAt, createdAt)',
      'bad-news.ts:4 bad-news schedule.cron: cron must have 5 fields: minute hour day-of-month month day-of-week',
    ]);
  });

  it('names a program that is not declared in programs.ts, with file, line and field', async () => {
    const dir = campaignsDir({
      'promo.ts': `import { and, defineCampaign, where } from 'DSL';
export default defineCampaign({
  kind: 'case-study', name: 'promo', tags: ['case-study'], template: 'case-study', subject: 's',
  audience: and(where.status('active'), where.program('startups', 'enterprise' as never)),
});
`,
    });
    const report = await validateProject({ campaignsDir: dir, templatesDir: join(ROOT_DIR, 'templates') });
    expect(report.issues.map((i) => `${i.file?.split('/').pop()}:${i.line} ${i.subject} ${i.path}: ${i.message}`)).toEqual([
      'promo.ts:4 promo audience.node.of[1].in[1]: unknown program "enterprise" (declared in programs.ts: education, startups)',
    ]);
  });

  it('reports mistakes in programs.ts with line and field, and a missing programs.ts', async () => {
    const dir = campaignsDir({
      'programs.ts': `import { definePrograms } from 'DSL';
export default definePrograms({
  education: {
    displayName: 'Flywheel for Education',
    url: 'flywheel.example/education',
    timezone: 'Europe/Berln',
    topics: ['newsletter', 'podcasts'],
  } as never,
  Startups: { displayName: 'S', url: 'https://s.example', timezone: 'UTC', topics: [] },
});
`,
    });
    const report = await validateProject({ campaignsDir: dir, templatesDir: join(ROOT_DIR, 'templates') });
    expect(report.issues.map((i) => `${i.file?.split('/').pop()}:${i.line} ${i.subject} ${i.path ?? ''}: ${i.message}`)).toEqual([
      'programs.ts:5 program education url: url must be an absolute URL such as "https://example.org/education"',
      'programs.ts:6 program education timezone: unknown time zone "Europe/Berln" (use an IANA name such as "Europe/Berlin")',
      'programs.ts:7 program education topics[1]: unknown topic "podcasts" (topics: newsletter, events, caseStudies)',
      'programs.ts:9 program Startups : program name must be lower-case letters, digits and dashes (it is stored on members and used in URLs)',
    ]);
    const missing = mkdtempSync(join(tmpdir(), 'flywheel-campaigns-'));
    const err = (await loadCampaigns(missing).catch((e: unknown) => e)) as InvalidInputError;
    expect(err.issues[0]?.file).toMatch(/programs\.ts$/);
    expect(err.issues[0]?.message).toMatch(/^missing: declare your programs here with `export default definePrograms/);
  });

  it('validate names an unknown template with its campaign and field', async () => {
    const dir = campaignsDir({
      'promo.ts': `import { defineCampaign } from 'DSL';
export default defineCampaign({ kind: 'case-study', name: 'promo', tags: ['case-study'], template: 'case-studdy', subject: 's' });
`,
    });
    const report = await validateProject({ campaignsDir: dir, templatesDir: join(ROOT_DIR, 'templates') });
    expect(report.issues).toHaveLength(1);
    expect(report.issues[0]).toMatchObject({ subject: 'promo', path: 'template' });
    expect(report.issues[0]?.message).toMatch(/^unknown template "case-studdy"/);
  });

  it('a version changes when the file changes meaning', async () => {
    const text = `import { defineCampaign } from 'DSL';
export default defineCampaign({ kind: 'broadcast', name: 'b', at: '2026-09-01T09:00', template: 'newsletter', subject: 'SUBJECT' });
`;
    const dir = campaignsDir({ 'b.ts': text.replace('SUBJECT', 'one') });
    const [first] = await loadCampaigns(dir);
    writeFileSync(join(dir, 'b.ts'), text.replace('SUBJECT', 'two').replaceAll('DSL', engineImport));
    const [second] = await loadCampaigns(dir);
    expect(first?.version).not.toBe(second?.version);
  });
});
