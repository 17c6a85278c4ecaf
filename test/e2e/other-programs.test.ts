// Another team's programs ("partners" and "students", test/fixtures/partners) run the demo
// flow through the real command line with no engine change: only FLYWHEEL_CAMPAIGNS_DIR
// and FLYWHEEL_CONTENT_DIR point elsewhere. Validate, import members, plan, send, and read what members received.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../engine/config.ts';
import type { Store } from '../../engine/store/index.ts';
import { openTestStore, testMongoUri } from '../support/db.ts';
import { SmtpSink } from '../support/smtp-sink.ts';

const FIXTURE = join(PROJECT_ROOT, 'test', 'fixtures', 'partners');
let store: Store;
let sink: SmtpSink;

function env(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    FLYWHEEL_CAMPAIGNS_DIR: join(FIXTURE, 'campaigns'),
    // the project's content names its own programs: this project has its own
    FLYWHEEL_CONTENT_DIR: join(FIXTURE, 'content'),
    FLYWHEEL_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'silent',
    MONGODB_URI: testMongoUri(),
    FLYWHEEL_DB_NAME: store.db.databaseName,
    FLYWHEEL_TRANSPORT: 'smtp',
    SMTP_URL: sink.url,
  };
}

function flywheel(args: string[]) {
  return spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'flywheel.js'), ...args], { env: env(), encoding: 'utf8', timeout: 90_000 });
}

/** Without blocking this process: the SMTP sink that receives the mail runs here. */
function flywheelAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'flywheel.js'), ...args], { env: env() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += String(d); });
    child.stderr.on('data', (d: Buffer) => { stderr += String(d); });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

beforeAll(async () => {
  store = await openTestStore('e2e_other_programs');
  sink = await SmtpSink.start();
});
afterAll(async () => { await sink?.close(); await store?.close(); });

describe('a project with other programs', () => {
  it('validates its campaigns against its own programs', () => {
    const run = flywheel(['validate']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^ok {2}onboarding-students/m);
    expect(run.stdout).toMatch(/^ok {2}partners-launch/m);
  }, 90_000);

  it('imports its members, refusing a program it does not run', async () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'flywheel-partners-')), 'bad.csv');
    writeFileSync(bad, 'email,program\nada@example.org,education\n');
    const refused = flywheel(['members', 'import', bad]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('unknown program "education" (declared in campaigns/programs.ts: partners, students)');

    const run = flywheel(['members', 'import', join(FIXTURE, 'members.csv')]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('4 row(s): 4 created');
    const zones = Object.fromEntries((await store.models.Member.find({}).lean()).map((m) => [m.email, m.timezone]));
    // members without a zone get their program's
    expect(zones).toEqual({ 'ana@partners.example': 'Europe/Madrid', 'pierre@partners.example': 'Europe/Paris', 'ravi@students.example': 'Asia/Kolkata', 'mei@students.example': 'Asia/Shanghai' });
  }, 180_000);

  it('plans the students\' onboarding in each student\'s zone, with their program in the subject', () => {
    const run = flywheel(['plan', 'onboarding-students', '--from', '2027-01-19T00:00:00Z', '--days', '14', '--json']);
    expect(run.stderr).toBe('');
    const plan = JSON.parse(run.stdout) as Array<{ email: string; step: string; subject: string; dueAt: string }>;
    expect(plan.map((s) => `${s.email} ${s.step} ${s.dueAt} ${s.subject}`)).toEqual([
      'mei@students.example welcome 2027-01-20T01:00:00.000Z Welcome to Student Builders',
      'ravi@students.example welcome 2027-01-20T03:30:00.000Z Welcome to Student Builders',
      'mei@students.example first-project 2027-01-27T01:00:00.000Z Step 2 of 2: Ship a first project',
      'ravi@students.example first-project 2027-01-27T03:30:00.000Z Step 2 of 2: Ship a first project',
    ]);
  }, 90_000);

  it('sends the announcement: each member reads their own program\'s name', async () => {
    const run = await flywheelAsync(['send', 'partners-launch']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const got = sink.messages.map((m) => `${m.to[0]} ${m.subject}`).sort();
    expect(got).toEqual([
      'ana@partners.example Partner Network: what is new in 2027',
      'mei@students.example Student Builders: what is new in 2027',
      'pierre@partners.example Partner Network: what is new in 2027',
      'ravi@students.example Student Builders: what is new in 2027',
    ]);
  }, 240_000);
});
