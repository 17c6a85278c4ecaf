// `flywheel plan` and `flywheel campaigns list --json` through the real command line: the
// subject as members will read it, and members' answers and renewals played into the plan.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../engine/config.ts';
import type { Store } from '../../engine/store/index.ts';
import { openTestStore, testMongoUri } from '../support/db.ts';

let store: Store;

function flywheel(args: string[]) {
  return spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'flywheel.js'), ...args], {
    env: { ...process.env, FLYWHEEL_SECRET: randomBytes(32).toString('base64url'), LOG_LEVEL: 'silent', MONGODB_URI: testMongoUri(), FLYWHEEL_DB_NAME: store.db.databaseName },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

interface PlanRow { email: string; step: string; subject: string; subjectTemplate: string; dueAt: string }

beforeAll(async () => {
  store = await openTestStore('cli_plan');
  const base = { status: 'active', locale: 'en', timezone: 'Europe/Berlin' };
  await store.models.Member.insertMany([
    { ...base, email: 'ada@example.org', name: 'Ada Lovelace', program: 'education', expiresAt: new Date('2027-01-15T12:00:00Z') },
    { ...base, email: 'bob@example.org', name: 'Bob Renewer', program: 'startups', expiresAt: new Date('2027-01-15T12:00:00Z') },
    { ...base, email: 'linus@example.org', name: 'Linus Yes', program: 'contributor' },
    { ...base, email: 'margaret@example.org', name: 'Margaret No', program: 'contributor' },
    { ...base, email: 'quiet@example.org', name: 'Quiet Contributor', program: 'contributor' },
  ]);
});
afterAll(async () => { await store?.close(); });

describe('flywheel plan', () => {
  it('prints the subject as the member will read it, not the template', () => {
    const run = flywheel(['plan', 'renewal-yearly', '--from', '2026-12-01T00:00:00Z', '--days', '30', '--member', 'ada@example.org']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Your membership ends in 30 days');
    expect(run.stdout).not.toContain('{{');
  }, 60_000);

  it('--renew moves the member\'s expiry on by their program\'s renewal period: no further reminders', () => {
    const run = flywheel(['plan', 'renewal-yearly', '--from', '2026-12-01T00:00:00Z', '--days', '60', '--renew', 'bob@example.org@2026-12-20', '--json']);
    expect(run.stderr).toBe('');
    const plan = JSON.parse(run.stdout) as PlanRow[];
    const steps = (email: string) => plan.filter((s) => s.email === email).map((s) => s.step);
    expect(steps('ada@example.org')).toEqual(['days-30', 'days-7', 'days-1', 'grace-7']);
    // bob renewed after the 30-day reminder; the next cycle's reminders are a year away
    expect(steps('bob@example.org')).toEqual(['days-30']);
    const first = plan.find((s) => s.email === 'ada@example.org')!;
    expect(first).toMatchObject({ subject: 'Your membership ends in 30 days', subjectTemplate: 'Your membership ends in {{daysLeft}} days' });
  }, 60_000);

  it('--rsvp plays the answers: a reminder only to who did not answer, the day-before note only to yes', () => {
    const run = flywheel(['plan', 'hackathon-contributors-2026', '--from', '2026-10-01T00:00:00Z', '--days', '60', '--rsvp', 'linus@example.org=yes', '--rsvp', 'Margaret@example.org=no', '--json']);
    expect(run.stderr).toBe('');
    const plan = JSON.parse(run.stdout) as PlanRow[];
    const steps = (email: string) => plan.filter((s) => s.email === email).map((s) => s.step);
    expect(steps('linus@example.org')).toEqual(['invite', 'day-before']);
    expect(steps('margaret@example.org')).toEqual(['invite']);
    expect(steps('quiet@example.org')).toEqual(['invite', 'reminder']);
    expect(plan.find((s) => s.step === 'day-before')?.subject).toBe('Tomorrow: Flywheel Contributor Hackathon 2026');
  }, 60_000);

  it('names a bad --rsvp or --renew and a member outside the audience, and exits 1', () => {
    const bad = flywheel(['plan', 'hackathon-contributors-2026', '--rsvp', 'linus@example.org=maybe', '--renew', 'bob@example.org@someday']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--rsvp');
    expect(bad.stderr).toContain('must be EMAIL=yes or EMAIL=no');
    expect(bad.stderr).toContain('must be EMAIL@DATE');
    const outside = flywheel(['plan', 'hackathon-contributors-2026', '--rsvp', 'ada@example.org=yes']);
    expect(outside.status).toBe(1);
    expect(outside.stderr).toMatch(/ada@example\.org.*no member with this address in the campaign's audience/);
  }, 60_000);
});

describe('flywheel campaigns list --json', () => {
  it('lists every campaign with kind, state, steps, topic and next run', () => {
    const run = flywheel(['campaigns', 'list', '--json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const rows = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    expect(rows.find((r) => r.name === 'renewal-yearly')).toMatchObject({ kind: 'renewal', state: 'active', steps: ['days-30', 'days-7', 'days-1', 'grace-7'], topic: null, nextRun: 'continuous', file: 'campaigns/renewal-yearly.ts' });
    expect(rows.find((r) => r.name === 'newsletter-education')).toMatchObject({ kind: 'newsletter', topic: 'newsletter', steps: ['issue'] });
    expect(rows.find((r) => r.name === 'newsletter-education')?.nextRun).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(rows.map((r) => r.name)).toEqual([...rows.map((r) => r.name as string)].sort());
  }, 60_000);
});
