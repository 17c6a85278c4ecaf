// Updates by `_id` sent as plain update commands (the tracking writer's first opens and clicks):
// each document gets its own update, a missing id changes nothing, and a statement the database
// refuses is an error the caller sees (the writer keeps the chunk and retries), not a silent loss.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { openTestStore } from '../support/db.ts';
import { updateEachById, UpdateWriteError } from '../../engine/store/update-by-id.ts';
import type { Store } from '../../engine/store/index.ts';

let store: Store;
beforeAll(async () => { store = await openTestStore('store_update_by_id'); });
afterAll(async () => { await store?.close(); });

describe('updates by id', () => {
  it('applies each update to its own document, beyond one command, and leaves missing ids alone', async () => {
    const col = store.db.collection('update_by_id_each');
    const ids = Array.from({ length: 1205 }, () => new Types.ObjectId());
    await col.insertMany(ids.map((_id, i) => ({ _id, seen: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)) })));
    const later = (_i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 30));
    await updateEachById(store.db, 'update_by_id_each', [...ids.map((_id, i) => ({ _id, update: { $max: { seen: later(i) } } })), { _id: new Types.ObjectId(), update: { $max: { seen: later(0) } } }]);
    const docs = await col.find({}).toArray();
    expect(docs).toHaveLength(1205);
    for (const [i, id] of ids.entries()) {
      const doc = docs.find((d) => String(d._id) === String(id))!;
      expect(doc.seen).toEqual(i % 60 > 30 ? new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)) : later(i));
    }
  });

  it('throws when the database refuses a statement, naming the collection and what it refused', async () => {
    const col = store.db.collection('update_by_id_refused');
    const [a, b] = [new Types.ObjectId(), new Types.ObjectId()];
    await col.insertMany([{ _id: a, n: 1 }, { _id: b, n: 'text' }]);
    // $inc of a string is refused; the caller keeps its chunk and writes it again ($min/$max: harmless)
    const attempt = updateEachById(store.db, 'update_by_id_refused', [{ _id: a, update: { $inc: { n: 1 } } }, { _id: b, update: { $inc: { n: 1 } } }]);
    await expect(attempt).rejects.toBeInstanceOf(UpdateWriteError);
    await expect(attempt).rejects.toMatchObject({ collection: 'update_by_id_refused', writeErrors: [expect.objectContaining({ code: 14 })] });
  });
});
