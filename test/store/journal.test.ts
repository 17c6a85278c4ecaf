// Sequence journals (planning marks, member changes): concurrent writers leave no gap and no
// duplicate position, positions are string keys the embedded database finds by its `_id` index,
// and marks an older version wrote under number keys are still read once, then re-keyed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/db.ts';
import { Journal, journalKey } from '../../engine/store/journal.ts';
import { PLAN_MARKS_COLLECTION, markPlanningInputs, readPlanningMarks, savePlanningMarksCursor } from '../../engine/store/plan-marks.ts';
import type { Store } from '../../engine/store/index.ts';

let store: Store;
beforeAll(async () => { store = await openTestStore('store_journal'); });
afterAll(async () => { await store?.close(); });

describe('a sequence journal', () => {
  it('gives four concurrent writers of ten entries each positions 0-39, each once, under string keys', async () => {
    // four writers that share nothing in memory, as four processes would
    const writers = Array.from({ length: 4 }, () => new Journal<{ w: number; i: number }>({ collection: 'journal_concurrent', floor: async () => 0 }));
    const positions = (await Promise.all(writers.map(async (j, w) => {
      const mine: number[] = [];
      for (let i = 0; i < 10; i++) mine.push(await j.append(store.db, { w, i }));
      return mine;
    }))).flat();
    expect([...positions].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const docs = await store.db.collection('journal_concurrent').find({}).toArray();
    expect(docs.map((d) => d._id).sort()).toEqual(Array.from({ length: 40 }, (_, i) => journalKey(i)));
    expect(await writers[0]!.firstFree(store.db)).toBe(40);
    const seen: number[] = [];
    expect(await writers[1]!.read(store.db, 35, (_, n) => { seen.push(n); })).toBe(40);
    expect(seen).toEqual([35, 36, 37, 38, 39]);
  });

  it('drops entries below a position and nothing else', async () => {
    const j = new Journal<{ i: number }>({ collection: 'journal_drop', floor: async () => 0 });
    for (let i = 0; i < 12; i++) await j.append(store.db, { i });
    await store.db.collection('journal_drop').insertOne({ _id: 'floor' as never, n: 0 });
    await j.dropBelow(store.db, 10);
    expect((await store.db.collection('journal_drop').find({}).toArray()).map((d) => d._id).sort()).toEqual([journalKey(10), journalKey(11), 'floor']);
  });
});

describe('planning marks', () => {
  it('are read from the tick cursor, including unread marks an older version wrote under number keys, which are then re-keyed', async () => {
    const marks = store.db.collection(PLAN_MARKS_COLLECTION);
    await marks.deleteMany({});
    // an older version's journal: marks 0-2 read by the tick (cursor 3), marks 3 and 4 not yet
    await marks.insertMany([0, 1, 2, 3, 4].map((n) => ({ _id: n as never, members: [`old-${n}`] })));
    await marks.insertOne({ _id: 'cursor' as never, n: 3 });
    await markPlanningInputs(store.db, { members: ['new-1'] });
    const read = await readPlanningMarks(store.db);
    expect([...read.members].sort()).toEqual(['new-1', 'old-3', 'old-4']);
    expect((await marks.find({}).toArray()).every((d) => typeof d._id === 'string')).toBe(true);
    await savePlanningMarksCursor(store.db, read.next);
    await markPlanningInputs(store.db, { content: true });
    const again = await readPlanningMarks(store.db);
    expect({ members: again.members.size, content: again.content, next: again.next }).toEqual({ members: 0, content: true, next: read.next + 1 });
  });
});
