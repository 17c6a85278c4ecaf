// The review queue from the command line, through the real `flywheel` process: import is
// all-or-nothing with line numbers, list shows the queue, a decision is recorded once
// (the second award exits 1 and says who decided first), and stats prints the KPIs.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../engine/store/index.ts';
import { applicationModels } from '../../engine/applications/index.ts';
import { openTestStore, testMongoUri } from '../support/db.ts';
import { runFlywheel } from '../support/cli-process.ts';

const DB = 'applications_cli';
let store: Store;
const dir = mkdtempSync(join(tmpdir(), 'flywheel-applications-cli-'));
const flywheel = (...args: string[]) => runFlywheel(['applications', ...args], { MONGODB_URI: testMongoUri(), FLYWHEEL_DB_NAME: `test_${DB}` });
function file(name: string, content: string): string {
  writeFileSync(join(dir, name), content);
  return join(dir, name);
}

beforeAll(async () => { store = await openTestStore(DB); });
afterAll(async () => { await store.close(); });

describe('flywheel applications (real CLI)', () => {
  it('rejects a file with bad rows, naming line and field, and imports nothing', async () => {
    const bad = file('bad.csv', [
      'program,name,email,institution,role,submittedAt',
      'education,Ada,ada@school.example,Analytical College,educator,2026-03-02T10:00',
      'astronauts,Yuri,yuri@space.example,,,',
      'education,Bob,bob@school.example,Some School,dean,',
      'education,Ada again,ADA@school.example,Analytical College,educator,',
    ].join('\n'));
    const run = await flywheel('import', bad);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('3 problem(s) in bad.csv; nothing was imported');
    expect(run.stderr).toContain('bad.csv:3 › yuri@space.example › program: unknown program "astronauts"');
    expect(run.stderr).toContain('bad.csv:4 › bob@school.example › role: choose one of: educator, student, researcher');
    expect(run.stderr).toContain('bad.csv:5 › ADA@school.example › email: a second application to education in this file (first on line 2)');
    expect(await (await applicationModels(store)).Application.countDocuments()).toBe(0);
  }, 60_000);

  it('imports a good file, lets rules decide, lists the queue, and records an award once', async () => {
    const good = file('good.json', JSON.stringify([
      { program: 'education', name: 'Ada', email: 'ada@school.example', institution: 'Analytical College', role: 'educator', submittedAt: '2026-03-02T10:00' },
      { program: 'education', name: 'Prof', email: 'prof@cs.ox.ac.uk', institution: 'Oxford', role: 'researcher' },
    ], null, 2));
    const imported = await flywheel('import', good);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toContain('2 row(s): 2 new, 0 updated; 1 awarded and 0 declined by rules');

    const list = await flywheel('list', '--program', 'education', '--status', 'overdue', '--json');
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.stdout) as Array<{ id: string; email: string; businessDaysLeft: number }>;
    expect(rows.map((r) => r.email)).toEqual(['ada@school.example']); // submitted in March 2026: long overdue
    expect(rows[0]!.businessDaysLeft).toBeLessThan(0);

    const first = await flywheel('award', rows[0]!.id, '--reason', 'checked the faculty page', '--by', 'dana');
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/ada@school\.example\): awarded; member active until \d{4}-\d{2}-\d{2}/);
    const second = await flywheel('award', rows[0]!.id, '--reason', 'again', '--by', 'eve');
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/already awarded on .* by person "dana" \(checked the faculty page\)\. Nothing was changed/);
    expect(await store.models.Member.countDocuments({ email: 'ada@school.example', status: 'active' })).toBe(1);

    const stats = await flywheel('stats', '--program', 'education', '--from', '2026-01-01', '--json');
    const [kpi] = JSON.parse(stats.stdout);
    expect(kpi).toMatchObject({ program: 'education', received: 2, decided: 2, awarded: 2, auto: 1, manual: 1, autoShare: 0.5 });
  }, 180_000);
});
