// The store stage: resolve a database, connect, and expose the models.
export { openStore, redact, type Store } from './connection.ts';
export { resolveDatabase, buildFerretDb, findFerretDb, FERRETDB_VERSION, type ResolvedDatabase, type DatabaseKind } from './resolve.ts';
export * from './models.ts';
export { memberIdForEmail } from './member-id.ts';
export { compactDatabase, type CompactionReport } from './compact.ts';

import { PROJECT_ROOT, type Config } from '../config.ts';
import { openStore, type Store } from './connection.ts';
import { resolveDatabase, type ResolvedDatabase } from './resolve.ts';

/** The repository root (where campaigns/, templates/, .cache/ live). */
export const ROOT_DIR = PROJECT_ROOT;

export interface Database {
  store: Store;
  resolved: ResolvedDatabase;
  /** close the connection and stop the embedded server, if we started one */
  close(): Promise<void>;
}

/** Resolve the database named by config (or an embedded one) and connect to it. */
export async function openDatabase(config: Config, onProgress?: (line: string) => void): Promise<Database> {
  const resolved = await resolveDatabase({
    mongodbUri: config.MONGODB_URI,
    dataDir: config.FLYWHEEL_DATA_DIR,
    rootDir: ROOT_DIR,
    onProgress,
  });
  let store: Store;
  try {
    store = await openStore(resolved.uri, config.FLYWHEEL_DB_NAME);
  } catch (e) {
    await resolved.stop();
    throw e;
  }
  return {
    store,
    resolved,
    async close() {
      await store.close();
      await resolved.stop();
    },
  };
}

/** Open the database named by config, run `use`, and close it (and any embedded server) whatever happens. */
export async function withDatabase<T>(config: Config, use: (store: Store) => Promise<T>, onProgress?: (line: string) => void): Promise<T> {
  const db = await openDatabase(config, onProgress);
  try {
    return await use(db.store);
  } finally {
    await db.close();
  }
}
