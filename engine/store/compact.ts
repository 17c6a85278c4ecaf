// Compaction after an erasure: deleted documents linger in a database's files until they are
// rewritten. On the embedded FerretDB (SQLite) `compact` with `force` runs VACUUM on the
// database's one file and, in our build, checkpoints and truncates its write-ahead log
// (COMPACT_CHECKPOINT_PATCH), so an erased address is in neither file afterwards.
// On MongoDB it asks WiredTiger to release the free space of every collection.
import type { Store } from './connection.ts';

export interface CompactionReport {
  /** 'ferretdb' (SQLite VACUUM + WAL truncate) or 'mongodb' (compact per collection) */
  engine: 'ferretdb' | 'mongodb';
  collections: number;
  ms: number;
}

/** A reader or writer on another connection kept the log from being truncated: retried. */
const ATTEMPTS = 10;
const RETRY_MS = 300;

export async function compactDatabase(store: Store): Promise<CompactionReport> {
  const started = performance.now();
  const info = await store.db.admin().command({ buildInfo: 1 });
  const names = (await store.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
  if (info.ferretdbVersion) {
    // one file per database: compacting any one collection rewrites all of them
    if (names.length > 0) await withRetries(() => store.db.command({ compact: names[0], force: true }));
    return { engine: 'ferretdb', collections: names.length, ms: Math.round(performance.now() - started) };
  }
  for (const name of names) await store.db.command({ compact: name, force: true });
  return { engine: 'mongodb', collections: names.length, ms: Math.round(performance.now() - started) };
}

async function withRetries<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= ATTEMPTS || !/blocked by another connection/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
}
