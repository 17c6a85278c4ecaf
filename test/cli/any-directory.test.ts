// The `flywheel` command works from any directory: folder settings (*_DIR) are resolved once,
// against the project root, so a user in their home folder gets the project's campaigns and
// templates, and files they ask for (--out) land where they are.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, PROJECT_ROOT } from '../../engine/config.ts';
import { openTestStore, testMongoUri } from '../support/db.ts';

const elsewhere = mkdtempSync(join(tmpdir(), 'flywheel-elsewhere-'));
afterAll(() => rmSync(elsewhere, { recursive: true, force: true }));

function flywheel(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'flywheel.js'), ...args], {
    cwd: elsewhere,
    env: { ...process.env, FLYWHEEL_SECRET: randomBytes(32).toString('base64url'), LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('flywheel from another directory', () => {
  it('preview --sample of a campaign step renders the project\'s template into ./previews of the current directory', () => {
    const run = flywheel(['preview', 'renewal-yearly', 'days-30', '--sample']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const printed = run.stdout.trim().split('\n');
    expect(printed).toHaveLength(3);
    for (const path of printed) expect(path.startsWith(join(elsewhere, 'previews', 'renewal-yearly-days-30'))).toBe(true);
    const html = readFileSync(printed.find((p) => p.endsWith('message.html'))!, 'utf8');
    expect(html).toMatch(/<html/i);
    expect(readFileSync(printed.find((p) => p.endsWith('headers.txt'))!, 'utf8')).toMatch(/^Subject: \S.+/m);
  }, 60_000);

  it('preview --member reads the member from the configured database and plans the step for them', async () => {
    const store = await openTestStore('cli_any_directory');
    try {
      await store.models.Member.create({ email: 'grace@example.edu', name: 'Grace Hopper', program: 'education', status: 'active', locale: 'en', timezone: 'America/New_York', awardedAt: new Date(Date.now() - 2 * 86_400_000) });
      const run = flywheel(['preview', 'onboarding-education', 'welcome', '--member', 'grace@example.edu', '--out', 'grace'], { MONGODB_URI: testMongoUri(), FLYWHEEL_DB_NAME: store.db.databaseName });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const headers = readFileSync(join(elsewhere, 'grace', 'onboarding-education-welcome', 'headers.txt'), 'utf8');
      expect(headers).toMatch(/^To: Grace Hopper <grace@example\.edu>$/m);
      expect(readFileSync(join(elsewhere, 'grace', 'onboarding-education-welcome', 'message.html'), 'utf8')).toContain('Grace');
    } finally {
      await store.close();
    }
  }, 60_000);

  it('validate checks the project\'s campaigns and templates', () => {
    const run = flywheel(['validate', '--no-render']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^ok {2}renewal-yearly/m);
    expect(run.stdout).toMatch(/\d+ campaign\(s\) valid/);
  }, 60_000);

  it('relative folder settings start at the project root; absolute ones are kept', () => {
    const config = loadConfig({ FLYWHEEL_SECRET: randomBytes(32).toString('base64url'), FLYWHEEL_OUTBOX_DIR: '/var/tmp/flywheel-outbox' });
    expect(config.FLYWHEEL_CAMPAIGNS_DIR).toBe(join(PROJECT_ROOT, 'campaigns'));
    expect(config.FLYWHEEL_TEMPLATES_DIR).toBe(join(PROJECT_ROOT, 'templates'));
    expect(config.FLYWHEEL_DATA_DIR).toBe(join(PROJECT_ROOT, '.data'));
    expect(config.FLYWHEEL_OUTBOX_DIR).toBe('/var/tmp/flywheel-outbox');
  });
});
