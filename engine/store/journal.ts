// A gapless sequence journal: entry n is one keyed insert at the next free position, read back
// by `_id` from a reader's position until the first free one. Built for the embedded database,
// where keyed inserts are atomic and concurrent updates are not, and where only a filter of
// exactly `{_id: <string or ObjectId>}` uses the `_id` index: a number `_id` is not pushed down,
// so every lookup by a number scanned the whole collection. Positions are therefore kept as
// zero-padded strings (`000000000042`), which also sort in position order.
//
// Writers never leave a gap: a writer tries n only at or above the journal's floor (below which
// everything exists or was read and dropped) or after finding n - 1 taken.
import type { Db } from 'mongodb';
import { isDuplicateKeyError } from './keyed-insert.ts';

const WIDTH = 12;

/** The `_id` of position `n`. */
export const journalKey = (n: number): string => String(n).padStart(WIDTH, '0');

export interface JournalOptions {
  collection: string;
  /** where writers may start: every position below it exists, or was read by everyone who needs it and dropped */
  floor(db: Db): Promise<number>;
}

export class Journal<Entry extends object> {
  /** next free position as this process last saw it, per database */
  private readonly nextFree = new WeakMap<Db, number>();

  constructor(private readonly options: JournalOptions) {}

  get collection(): string { return this.options.collection; }

  private col(db: Db) { return db.collection<Entry & { _id: string }>(this.options.collection); }

  /** Append `entry`; returns its position. */
  async append(db: Db, entry: Entry): Promise<number> {
    let n = Math.max(this.nextFree.get(db) ?? 0, await this.options.floor(db));
    for (let attempt = 0; ; attempt++) {
      try {
        await this.col(db).insertOne({ ...entry, _id: journalKey(n) } as never);
        this.nextFree.set(db, n + 1);
        return n;
      } catch (e) {
        if (!isDuplicateKeyError(e)) throw e;
        // another writer got there first; after a couple of tries, search rather than step
        n = attempt < 2 ? n + 1 : await this.firstFree(db, n + 1);
      }
    }
  }

  /** Entry `n`, or null when `n` is free (or was dropped). */
  entry(db: Db, n: number, projection?: Record<string, 0 | 1>): Promise<(Entry & { _id: string }) | null> {
    return this.col(db).findOne({ _id: journalKey(n) } as never, projection ? { projection } : {}) as never;
  }

  async exists(db: Db, n: number): Promise<boolean> {
    return !!(await this.entry(db, n, { _id: 1 }));
  }

  /** The first free position at or above `from` (default: the floor), in log-many lookups. */
  async firstFree(db: Db, from?: number): Promise<number> {
    const start = Math.max(from ?? 0, await this.options.floor(db));
    if (!(await this.exists(db, start))) return start;
    let lo = start;
    let step = 1;
    let hi = lo + step;
    while (await this.exists(db, hi)) { lo = hi; step *= 2; hi = lo + step; }
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.exists(db, mid)) lo = mid; else hi = mid;
    }
    return hi;
  }

  /** Every entry from `from` up to the first free position; returns that position. `visit` may stop the read early by returning false. */
  async read(db: Db, from: number, visit: (entry: Entry, n: number) => boolean | void): Promise<number> {
    for (let n = from; ; n++) {
      const doc = await this.entry(db, n);
      if (!doc) return n;
      if (visit(doc, n) === false) return n + 1;
    }
  }

  /** Drop every entry below position `n` (one scan of the collection: do it rarely). */
  async dropBelow(db: Db, n: number): Promise<void> {
    await this.col(db).deleteMany({ _id: { $lt: journalKey(n) } } as never);
  }
}
