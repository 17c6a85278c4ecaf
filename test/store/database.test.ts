import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
