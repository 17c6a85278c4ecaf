// What a user sees when `flywheel members import` is given an unusual file, through the real CLI.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../engine/store/index.ts';
import { openTestStore, testMongoUri } from '../support/db.ts';
import { runFlywheel } from '../support/cli-process.ts';

const DB = 'audience_import_edges';
let store: Store;
const dir = mkdtempSync(join(tmpdir(), 'flywheel-import-edges-'));
function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
const importFile = (path: string) => runFlywheel(['members', 'import', path], { MONGODB_URI: testMongoUri(), FLYWHEEL_DB_NAME: `test_${DB}` });

beforeAll(async () => { store = await openTestStore(DB); });
afterAll(async () => { await store.close(); });

describe('members import edge cases (real CLI)', () => {
  it('imports a semicolon-separated file by detecting its delimiter', async () => {
    const path = file('semicolons.csv', 'email;name;program;tags\nada@example.org;Ada Lovelace;education;teacher|berlin\nbob@example.org;Bob;startups;\n');
    const run = await importFile(path);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('2 row(s): 2 created, 0 updated, 0 skipped');
    const ada = await store.models.Member.findOne({ email: 'ada@example.org' }).lean();
    expect(ada).toMatchObject({ name: 'Ada Lovelace', program: 'education', tags: ['teacher', 'berlin'] });
  }, 120_000);

  it('rejects an empty file with exit code 1 and says what was expected', async () => {
    const run = await importFile(file('empty.csv', ''));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('empty.csv: expected a header line (email,name,program,…)');
    const headerOnly = await importFile(file('header-only.csv', 'email,name,program\n'));
    expect(headerOnly.code).toBe(1);
    expect(headerOnly.stderr).toContain('header-only.csv: only a header line; add one row per member below it');
  }, 120_000);

  it('describes a binary file with a readable excerpt instead of printing its bytes', async () => {
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]), Buffer.from('[Content_Types].xml'), Buffer.alloc(64, 0)]);
    const run = await importFile(file('members.csv', zip));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('members.csv: it starts with "PK\\x03\\x04\\x14\\x00\\x06\\x00[Content_Types]."…, which looks like a ZIP archive');
    expect(run.stderr).toContain('save it as CSV');
    expect(run.stderr).not.toContain('\u0000');
    expect(run.stderr).not.toContain('\u0003');
  }, 120_000);

  it('names each JSON item that is not an object, with its position and line', async () => {
    const path = file('mixed.json', '[\n  {"email": "ok@example.org", "program": "education"},\n  42,\n  "carol@example.org",\n  null\n]\n');
    const run = await importFile(path);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('mixed.json:3: item 2 is not an object (it is a number)');
    expect(run.stderr).toContain('mixed.json:4: item 3 is not an object (it is the string "carol@example.org")');
    expect(run.stderr).toContain('mixed.json:5: item 4 is not an object (it is null)');
    expect(await store.models.Member.countDocuments({ email: 'ok@example.org' })).toBe(0);
  }, 120_000);
});
