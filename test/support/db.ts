// Each test file gets its own, freshly dropped database on the shared test server.
import { inject } from 'vitest';
import { openStore, type Store } from '../../engine/store/index.ts';

export function testMongoUri(): string {
  return inject('mongoUri');
}

export async function openTestStore(name: string): Promise<Store> {
  const dbName = `test_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const store = await openStore(testMongoUri(), dbName);
  await store.db.dropDatabase();
  return openStore(testMongoUri(), dbName).finally(() => store.close());
}
