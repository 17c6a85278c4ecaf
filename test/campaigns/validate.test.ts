import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCampaigns } from '../../engine/campaigns/index.ts';
import { validateProject } from '../../engine/campaigns/validate.ts';
import { InvalidInputError } from '../../engine/errors.ts';
import { ROOT_DIR } from '../../engine/store/index.ts';

const engineImport = join(ROOT_DIR, 'engine/campaigns/index.ts');

/** A campaigns folder holding the given files (importing the DSL by absolute path). */
function campaignsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-campaigns-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text.replaceAll('DSL', engineImport));
  return dir;
}

describe('loading campaign files', () => {
  it('loads every real campaign in campaigns/', async () => {
    const campaigns = await loadCampaigns(join(ROOT_DIR, 'campaigns'));
    expect(campaigns.map((c) => c.kind).sort()).toEqual(['broadcast', 'case-study', 'drip', 'drip', 'drip', 'drip', 'event', 'newsletter', 'newsletter', 'newsletter', 'newsletter', 'renewal']);
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
      'bad-drip.ts:9 bad-drip audience.node.in[0]: unknown program "enterprise" (known: education, open-source, startups, contributor)',
      'bad-drip.ts:7 bad-drip steps[0].after.days: days must not be negative',
      'bad-news.ts:5 bad-news audience.node.field: unknown segment field "renewedAt" (date fields: appliedAt, awardedAt, expiresAt, lastEmailedAt, lastOpenedAt, lastClickedAt, createdAt)',
      'bad-news.ts:4 bad-news schedule.cron: cron must have 5 fields: minute hour day-of-month month day-of-week',
    ]);
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
