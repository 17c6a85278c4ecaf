// Erasure that holds: after `members erase` the address is in no live document (only a keyed
// hash of it remains), compaction removes the old copies from the database file and its
// write-ahead log, and importing the address again does not make it mailable.
// Runs its own embedded database (not the shared test server) so that it can read that
// database's files while the server is running.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eraseMember, importMembers } from '../../engine/audience/index.ts';
import { suppress, suppressedKeys, suppressionKey } from '../../engine/ledger/index.ts';
import { compactDatabase, openStore, resolveDatabase, ROOT_DIR, type ResolvedDatabase, type Store } from '../../engine/store/index.ts';
import type { ProgramTable } from '../../engine/audience/programs.ts';

const SECRET = 'erasure-test-secret-0123456789-abcdefgh';
const programs = { education: {} } as unknown as ProgramTable;
const now = new Date('2026-06-15T12:00:00Z');
const ADDRESS = 'grace.hopper@example.org';
let dir: string;
let db: ResolvedDatabase;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(ROOT_DIR, '.data', 'erasure-'));
  db = await resolveDatabase({ dataDir: dir, rootDir: ROOT_DIR });
  store = await openStore(db.uri, 'erasure');
});
afterAll(async () => {
  await store?.close();
  await db?.stop();
  // the server stops shortly after its last user: let it finish before removing its files
  const lock = join(dir, 'ferretdb', 'server.lock');
  for (let i = 0; i < 100 && existsSync(lock); i++) await new Promise((r) => setTimeout(r, 100));
  rmSync(dir, { recursive: true, force: true });
});

/** The database's files as they are on disk right now (the SQLite file and its write-ahead log). */
function databaseFiles(): Record<string, Buffer> {
  const base = join(dir, 'ferretdb', 'sqlite', 'erasure.sqlite');
  const files: Record<string, Buffer> = {};
  for (const path of [base, `${base}-wal`]) if (existsSync(path)) files[path] = readFileSync(path);
  return files;
}
const filesHolding = (text: string) => Object.entries(databaseFiles()).filter(([, bytes]) => bytes.includes(text)).map(([path]) => path.slice(dir.length));

describe('erasure that holds', () => {
  it('erase then re-import stays suppressed, and the address is absent from the database files after compaction', async () => {
    const csv = join(dir, 'members.csv');
    const rows = ['email,name,program', `${ADDRESS},Grace Hopper,education`];
    for (let i = 0; i < 300; i++) rows.push(`other${i}@example.org,Other ${i},education`);
    writeFileSync(csv, `${rows.join('\n')}\n`);
    await importMembers(store, csv, { programs, secret: SECRET });
    // a one-click unsubscribe, as the tracking stage records it
    await suppress(store, ADDRESS, 'unsubscribed', now, { detail: 'one-click' });
    await store.models.Member.updateOne({ email: ADDRESS }, { $set: { unsubscribedAt: now } });
    expect(filesHolding(ADDRESS).length).toBeGreaterThan(0);

    await eraseMember(store, ADDRESS, now, SECRET);
    // no live document holds the address or the name: only the keyed hash remains
    for (const { name } of await store.db.listCollections().toArray()) {
      const docs = JSON.stringify(await store.db.collection(name).find({}).toArray());
      expect(docs, name).not.toContain(ADDRESS);
      expect(docs, name).not.toContain('Grace Hopper');
    }
    // ... but the deleted documents are still in the files until they are rewritten
    expect(filesHolding(ADDRESS).length).toBeGreaterThan(0);

    const compacted = await compactDatabase(store);
    expect(compacted.engine).toBe('ferretdb');
    expect(filesHolding(ADDRESS)).toEqual([]);
    expect(filesHolding('Grace Hopper')).toEqual([]);
    // the other members are untouched by the rewrite
    expect(await store.models.Member.countDocuments({})).toBe(301);

    const again = await importMembers(store, csv, { programs, secret: SECRET });
    expect(again).toMatchObject({ created: 1, updated: 300, keptSuppressed: 1 });
    const back = await store.models.Member.findOne({ email: ADDRESS }).lean();
    expect(back?.unsubscribedAt).toBeInstanceOf(Date);
    // suppressed at send time too, whatever later happens to the member document
    expect(await suppressedKeys(store, [ADDRESS])).toContain(suppressionKey(ADDRESS));
    expect(await store.models.Member.countDocuments({ unsubscribedAt: null })).toBe(300);
    // a different secret cannot recognise the hash: it is keyed, not a plain digest of the address
    const stranger = await importMembers(store, csv, { programs, secret: 'another-installation-secret-0123456789' });
    expect(stranger.keptSuppressed).toBe(0);
  }, 120_000);
});
