import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { importMembers } from '../../engine/audience/index.ts';
import { expandDotted, newMemberDocument } from '../../engine/audience/members/write.ts';
import { memberIdForEmail } from '../../engine/store/index.ts';
import { memberRowSchema, memberUpdate } from '../../engine/audience/members/rows.ts';
import { InvalidInputError } from '../../engine/errors.ts';
import type { Store } from '../../engine/store/index.ts';
import { openTestStore, testMongoUri } from '../support/db.ts';
import { openStore } from '../../engine/store/index.ts';
import programs from '../../campaigns/programs.ts';

let store: Store;
const dir = mkdtempSync(join(tmpdir(), 'flywheel-import-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

beforeAll(async () => { store = await openTestStore('audience-import'); });
afterAll(async () => { await store.close(); });
beforeEach(async () => { await store.models.Member.deleteMany({}); });

const header = 'email,name,program,status,timezone,country,awardedAt,expiresAt,tags,newsletter,attr.seats';

describe('members import', () => {
  it('rejects a CSV with bad rows, writes nothing, and reports every bad row with its line', async () => {
    const path = file('bad.csv', [
      header,
      'ada@example.org,Ada,education,active,Europe/Berlin,DE,2026-01-10,2027-01-10,teacher;berlin,yes,',
      'not-an-email,Nobody,education,active,UTC,,,,,,',
      'bob@example.org,Bob,enterprise,active,UTC,,,,,,',
      'ADA@example.org,Ada again,education,active,UTC,,,,,,',
      'cy@example.org,Cy,startups,active,UTC,US,2026-13-45,,,,12',
      'dee@example.org,Dee,contributor,active,UTC,,,,,,',
    ].join('\n'));
    const err = await importMembers(store, path, { programs, displayName: 'bad.csv' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    const issues = (err as InvalidInputError).issues.map((i) => `${i.line} ${i.path ?? ''}: ${i.message}`);
    expect(issues).toEqual([
      '3 email: invalid email "not-an-email"',
      '4 program: unknown program "enterprise" (declared in campaigns/programs.ts: education, open-source, startups, contributor)',
      '5 email: duplicate email in file (first on line 2)',
      '6 awardedAt: bad date "2026-13-45" (use YYYY-MM-DD or an ISO date-time)',
    ]);
    expect((err as InvalidInputError).message).toContain('bad.csv:4');
    expect(await store.models.Member.countDocuments()).toBe(0);
  });

  it('with --skip-invalid imports the good rows and lists the skipped ones', async () => {
    const path = file('mixed.csv', [header, 'ada@example.org,Ada,education,active,UTC,,,,,,', 'nope,X,education,active,UTC,,,,,,'].join('\n'));
    const result = await importMembers(store, path, { programs, skipInvalid: true });
    expect(result).toMatchObject({ rows: 2, created: 1, updated: 0, skippedRows: 1 });
    expect(result.skipped.map((i) => i.line)).toEqual([3]);
    expect(await store.models.Member.countDocuments()).toBe(1);
  });

  it('upserts by email regardless of case and keeps fields the file does not mention', async () => {
    const first = file('first.csv', [header, 'Ada@Example.org,Ada,education,active,Europe/Berlin,DE,2026-01-10,2027-01-10,teacher;berlin,yes,5'].join('\n'));
    expect(await importMembers(store, first, { programs })).toMatchObject({ created: 1, updated: 0 });
    const second = file('second.csv', ['email,status', 'ADA@EXAMPLE.ORG,expired'].join('\n'));
    const fail = await importMembers(store, second, { programs }).catch((e: unknown) => e);
    // program is required on every row, so an import cannot create a member without one
    expect((fail as InvalidInputError).issues[0]?.message).toBe('program is required');
    const third = file('third.csv', ['email,program,status', 'ADA@EXAMPLE.ORG,education,expired'].join('\n'));
    expect(await importMembers(store, third, { programs })).toMatchObject({ created: 0, updated: 1 });
    // the same file again: the member already holds those values, so nothing is written
    const before = await store.models.Member.findOne({ email: 'ada@example.org' }).lean();
    expect(await importMembers(store, third, { programs, now: new Date('2030-01-01T00:00:00Z') })).toMatchObject({ created: 0, updated: 1, unchanged: 1 });
    expect((await store.models.Member.findOne({ email: 'ada@example.org' }).lean())?.updatedAt).toEqual(before?.updatedAt);
    const ada = await store.models.Member.findOne({ email: 'ada@example.org' }).lean();
    expect(ada).toMatchObject({ name: 'Ada', status: 'expired', timezone: 'Europe/Berlin', country: 'DE', tags: ['teacher', 'berlin'], attributes: { seats: '5' } });
    expect(ada?.awardedAt?.toISOString()).toBe('2026-01-10T00:00:00.000Z');
    expect(ada?.topics?.newsletter).toBe(true);
  });

  it('reads JSON arrays and reports bad elements with the line they start on', async () => {
    const path = file('members.json', JSON.stringify([
      { email: 'ok@example.org', program: 'open-source', attributes: { seats: 3 }, renewals: [{ renewedAt: '2026-01-01', expiresAt: '2027-01-01' }] },
      { email: 'bad@example.org', program: 'open-source', timezone: 'Mars/Olympus' },
    ], null, 2));
    const err = await importMembers(store, path, { programs }).catch((e: unknown) => e);
    expect((err as InvalidInputError).issues).toEqual([{ file: path, line: 15, subject: 'bad@example.org', path: 'timezone', message: 'unknown time zone "Mars/Olympus"' }]);
    expect(await store.models.Member.countDocuments()).toBe(0);
  });

  it('checks programs against the declared ones and gives new members their program\'s time zone', async () => {
    const path = file('partners.csv', ['email,program,timezone', 'pat@example.org,partners,', 'sue@example.org,Startups,', 'tom@example.org,education,Europe/Paris'].join('\n'));
    const partners = { partners: { displayName: 'Partner Network', url: 'https://partners.example', timezone: 'Asia/Tokyo', topics: ['newsletter'] } } as const;
    // the same file against another project's programs: only "partners" is known there
    const err = await importMembers(store, path, { programs: partners }).catch((e: unknown) => e);
    expect((err as InvalidInputError).issues.map((i) => `${i.line} ${i.path}: ${i.message}`)).toEqual([
      '3 program: unknown program "startups" (declared in campaigns/programs.ts: partners)',
      '4 program: unknown program "education" (declared in campaigns/programs.ts: partners)',
    ]);
    expect(await importMembers(store, path, { programs: { ...programs, ...partners } })).toMatchObject({ created: 3 });
    const zones = Object.fromEntries((await store.models.Member.find({}).lean()).map((m) => [m.email, m.timezone]));
    expect(zones).toEqual({ 'pat@example.org': 'Asia/Tokyo', 'sue@example.org': 'America/Los_Angeles', 'tom@example.org': 'Europe/Paris' });
  });

  it('imports a large file in batches and reports progress', async () => {
    const rows = Array.from({ length: 1200 }, (_, i) => `m${i}@example.org,M ${i},startups,active,UTC,,,,,,`);
    const path = file('large.csv', [header, ...rows].join('\n'));
    const seen: number[] = [];
    const result = await importMembers(store, path, { programs, batchSize: 500, onProgress: (done) => seen.push(done) });
    expect(result.created).toBe(1200);
    // one report per batch of 500, rising to the total; two batches are written at once, so the
    // second report is 1,000 or 700 depending on which of them finished first
    expect(seen).toHaveLength(3);
    expect(seen[0]).toBe(500);
    expect(seen[1]).toBeOneOf([700, 1000]);
    expect(seen[2]).toBe(1200);
    expect(await store.models.Member.countDocuments()).toBe(1200);
  });

  it('a member written by import has exactly the fields and defaults the member model gives', () => {
    const now = new Date('2026-11-30T10:00:00Z');
    const rows = [
      { email: 'Ada@Example.org', program: 'education' },
      { email: 'bob@example.org', name: 'Bob', program: 'startups', status: 'expired', locale: 'pt-BR', timezone: 'Europe/Lisbon', country: 'pt', tags: 'a;b', newsletter: 'no', events: 'yes', awardedAt: '2026-01-10', expiresAt: '2027-01-10T12:00:00Z', attributes: { seats: '3', plan: 'pro' } },
      { email: 'cy@example.org', program: 'contributor', caseStudies: false, renewals: [{ renewedAt: '2026-01-01', expiresAt: '2027-01-01' }], unsubscribedAt: '2026-05-01' },
    ];
    for (const input of rows) {
      const write = memberUpdate(memberRowSchema.parse(input));
      const defaults = { timezone: 'Asia/Tokyo' };
      const plain = newMemberDocument(write, now, defaults);
      const { Member } = store.models;
      // what import wrote before: a mongoose document made from the row
      const viaModel = new Member({ ...defaults, ...expandDotted(write.set), email: write.email, _id: memberIdForEmail(write.email), createdAt: now, updatedAt: now }).toObject();
      expect(plain).toEqual(viaModel);
    }
  });

  it('reads calendar dates as UTC midnight and refuses days that do not exist', () => {
    expect(memberRowSchema.parse({ email: 'a@example.org', program: 'education', expiresAt: '2028-02-29' }).expiresAt?.toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(memberRowSchema.parse({ email: 'a@example.org', program: 'education', expiresAt: ' 2027-01-10 ' }).expiresAt?.toISOString()).toBe('2027-01-10T00:00:00.000Z');
    const bad = memberRowSchema.safeParse({ email: 'a@example.org', program: 'education', expiresAt: '2027-02-29' });
    expect(bad.success ? '' : bad.error.issues[0]?.message).toBe('bad date "2027-02-29" (use YYYY-MM-DD or an ISO date-time)');
  });

  it('an import cut off by a lost database connection, run again, ends exactly where an uninterrupted one does', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => `m${i}@example.org,M ${i},${['education', 'startups'][i % 2]},active,,DE,2026-01-10,2027-01-10,t${i % 3},${i % 2 ? 'yes' : 'no'},${i}`);
    const path = file('resume.csv', [header, ...rows].join('\n'));
    const now = new Date('2026-11-30T10:00:00Z');
    // the first run's connection goes away after two batches, while the third is being written
    const doomed = await openStore(testMongoUri(), 'test_audience-import'.replace(/[^A-Za-z0-9_]/g, '_'));
    let closing: Promise<void> | undefined;
    const cut = await importMembers(doomed, path, { programs, batchSize: 400, now, onProgress: (done) => { if (done === 800) closing = doomed.close(); } }).catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(Error);
    await closing;
    // the server may still apply a batch it had received when the connection went away: count
    // what the first run left once that has settled
    let partial = await store.models.Member.countDocuments();
    for (let again = -1; again !== partial; ) {
      await new Promise((r) => setTimeout(r, 300));
      [again, partial] = [partial, await store.models.Member.countDocuments()];
    }
    expect(partial).toBeGreaterThanOrEqual(800);
    expect(partial).toBeLessThan(2000);

    const resumed = await importMembers(store, path, { programs, batchSize: 400, now });
    expect(resumed.created + resumed.updated).toBe(2000);
    expect(resumed.unchanged).toBe(resumed.updated); // what the first run wrote is not written again
    expect(resumed.created).toBe(2000 - partial);
    const strip = ({ createdAt: _c, updatedAt: _u, ...rest }: Record<string, unknown>) => rest;
    const after = (await store.models.Member.find({}).sort({ email: 1 }).lean()).map(strip);
    await store.models.Member.deleteMany({});
    await importMembers(store, path, { programs, batchSize: 400, now });
    const clean = (await store.models.Member.find({}).sort({ email: 1 }).lean()).map(strip);
    expect(after).toHaveLength(2000);
    expect(after).toEqual(clean);
  }, 120_000);
});
