import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openTestStore } from '../support/db.ts';
import type { Store } from '../../engine/store/index.ts';

let store: Store;
beforeAll(async () => { store = await openTestStore('store'); });
afterAll(async () => { await store.close(); });

describe('the store', () => {
  it('keeps member emails unique regardless of case', async () => {
    await store.models.Member.create({ email: 'Ada@Example.org', name: 'Ada', program: 'education' });
    await expect(store.models.Member.create({ email: 'ada@example.org', name: 'Ada 2', program: 'education' }))
      .rejects.toMatchObject({ code: 11000 });
    expect(await store.models.Member.countDocuments()).toBe(1);
  });
});

describe('the embedded database', () => {
  // Every send, hit and import looks documents up by _id; without its index each lookup scans the
  // whole collection (0.15 s at 100,000 members). MongoDB always uses it; our FerretDB build must too.
  it('finds documents by _id through the _id index, not by scanning the collection', async () => {
    const coll = store.db.collection('id_lookups');
    await coll.insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: `m${i}` as never, n: i })));
    const plan = await coll.find({ _id: 'm7' as never }).explain();
    const text = JSON.stringify(plan);
    if (inject('dbKind') === 'ferretdb') {
      expect(text).toMatch(/SEARCH .*USING INDEX/);
      expect(text).not.toMatch(/SCAN /);
    } else {
      expect(text).toMatch(/IDHACK|EXPRESS_IXSCAN|IXSCAN/);
    }
    expect(await coll.findOne({ _id: 'm7' as never })).toMatchObject({ n: 7 });
  });

  // A bulkWrite of updates is one `update` command; FerretDB 1.24 held one pooled SQLite
  // connection per statement until the command ended, so about 100 statements hung the command,
  // and with it every other client of the server (a re-import of 1,000 members never returned).
  it('applies 1,000 updates by _id in one bulk write instead of hanging', async () => {
    const coll = store.db.collection<{ _id: string; n: number }>('bulk_updates');
    await coll.insertMany(Array.from({ length: 1000 }, (_, i) => ({ _id: `u${i}`, n: 0 })));
    const started = performance.now();
    const res = await coll.bulkWrite(Array.from({ length: 1000 }, (_, i) => ({ updateOne: { filter: { _id: `u${i}` }, update: { $set: { n: i } } } })), { ordered: false });
    expect(res.matchedCount).toBe(1000);
    expect(await coll.countDocuments({ n: { $gt: 0 } })).toBe(999);
    expect(performance.now() - started).toBeLessThan(20_000);
  }, 30_000);
});
