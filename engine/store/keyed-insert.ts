// Keyed inserts: the one write the embedded database makes atomic. Every repeatable write
// (a send record, a lease, a result, an event, a quota block) is an insert under a natural
// unique key that treats "already there" as an answer rather than an error.

/** MongoDB's (and FerretDB's) duplicate-key error code. */
const DUPLICATE_KEY = 11000;

/** True when `e` is a duplicate-key error (an insert or upsert lost to an existing key). */
export function isDuplicateKeyError(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === DUPLICATE_KEY;
}

/** The raw driver collection shape this needs (a mongoose model's `.collection` fits). */
export interface InsertableCollection {
  insertMany(docs: never[], options: object): Promise<unknown>;
}

/**
 * insertMany (unordered) that treats duplicate keys as "already there": returns the indexes of
 * the documents that were duplicates. Any other write error is thrown.
 */
export async function insertKeyed(collection: InsertableCollection, docs: readonly object[]): Promise<Set<number>> {
  const duplicates = new Set<number>();
  if (docs.length === 0) return duplicates;
  try {
    await collection.insertMany(docs as never[], { ordered: false });
  } catch (e) {
    const raw = (e as { writeErrors?: unknown }).writeErrors;
    const list = (Array.isArray(raw) ? raw : raw ? [raw] : []) as Array<{ index: number; code: number }>;
    if (list.length === 0 || list.some((w) => w.code !== DUPLICATE_KEY)) throw e;
    for (const w of list) duplicates.add(w.index);
  }
  return duplicates;
}

/**
 * Run an upsert once more when it lost to a concurrent insert of the same key: the embedded
 * database does not make upserts atomic, so two processes upserting a new `_id` at once can
 * both try to insert it. The second attempt finds the document and updates it.
 */
export async function upsertRetryingOnce<T>(upsert: () => Promise<T>): Promise<T> {
  try {
    return await upsert();
  } catch (e) {
    if (!isDuplicateKeyError(e)) throw e;
    return upsert();
  }
}
