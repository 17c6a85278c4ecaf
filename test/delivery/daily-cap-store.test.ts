// Both daily cap stores through one contract: the shared one on the real database, raced by
// three workers on separate connections (what several `flywheel worker`s do), and the
// one-process store the pure tests use.
import { MongoDailyCapStore } from '../../engine/delivery/daily-cap-store.ts';
import { openStore, type Store } from '../../engine/store/index.ts';
import { openTestStore, testMongoUri } from '../support/db.ts';
import { InMemoryDailyCapStore } from '../support/in-memory-daily-cap.ts';
import { runDailyCapContract } from './daily-cap-contract.ts';

let runs = 0;
runDailyCapContract('database (MongoDailyCapStore)', async () => {
  const first = await openTestStore(`daily_cap_${++runs}`);
  const connections: Store[] = [first];
  return {
    async workers(n) {
      while (connections.length < n) connections.push(await openStore(testMongoUri(), first.db.databaseName));
      return connections.slice(0, n).map((s) => new MongoDailyCapStore(s));
    },
    async dispose() {
      await Promise.all(connections.map((s) => s.close()));
    },
  };
});

runDailyCapContract('in-process (test support)', async () => {
  const store = new InMemoryDailyCapStore();
  return { workers: async (n) => Array.from({ length: n }, () => store), dispose: async () => {} };
});
