// Documents by `_id`, one lookup each: the one filter the embedded database answers from its
// index (an `$in` over ids reads the whole collection there), so a read costs what it asks for,
// not what is stored. Many at once over the connection pool, a bounded number in flight.
import pLimit from 'p-limit';
import type { Collection, Document } from 'mongodb';

/** lookups in flight at once: enough to keep the database busy; a thousand at once only queue in the driver's pool, whose wait queue costs more CPU than the reads */
const IN_FLIGHT = 16;

/** The document of each id, in the order of `ids`; null where there is none. */
export function findEachById<T extends Document = Document>(collection: Collection<T> | Collection<Document>, ids: readonly unknown[], projection?: Record<string, 0 | 1>): Promise<Array<T | null>> {
  const reading = pLimit(IN_FLIGHT);
  return Promise.all(ids.map((_id) => reading(() => (collection as Collection<Document>).findOne({ _id } as never, projection ? { projection } : {}) as Promise<T | null>)));
}
