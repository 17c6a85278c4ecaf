// Several workers start at once and each saves the due index's state and the marks cursor. On
// the embedded database an upsert is not atomic: two upserts of a new `_id` can both try the
// insert, and one used to fail with a duplicate key, killing its worker before it was ready.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../engine/store/index.ts';
import { openTestStore } from '../support/db.ts';
import { DUE_INDEX_COLLECTION, loadDueIndexState, saveDueIndexState } from '../../engine/scheduler/due-index.ts';
import { PLAN_MARKS_COLLECTION, savePlanningMarksCursor } from '../../engine/store/plan-marks.ts';

let store: Store;
beforeAll(async () => { store = await openTestStore('scheduler_due_index_state'); });
afterAll(async () => { await store?.close(); });

describe('due index state written by workers starting together', () => {
  it('concurrent first saves all succeed, and the state is one of them', async () => {
    for (let round = 0; round < 5; round++) {
      await store.db.collection(DUE_INDEX_COLLECTION).deleteMany({});
      await store.db.collection(PLAN_MARKS_COLLECTION).deleteMany({});
      const at = (i: number) => new Date(Date.UTC(2026, 11, 1, 9, round, i));
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => Promise.all([
        saveDueIndexState(store.db, { lastTickAt: at(i), versions: { onboarding: `v${i}` }, marksCursor: i }),
        savePlanningMarksCursor(store.db, i),
      ])));
      expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      const state = await loadDueIndexState(store.db);
      expect(Array.from({ length: 8 }, (_, i) => at(i).getTime())).toContain(state?.lastTickAt.getTime());
    }
  });
});
