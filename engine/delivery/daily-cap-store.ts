// The daily cap shared by every worker. Counters can't be incremented atomically on the
// embedded database, so quota is handed out in blocks: a block is a document inserted
// under the unique id `<day>:<block>`, and a unique insert has exactly one winner.
import type { Store } from '../store/index.ts';
import type { DailyCapStore } from './throttle.ts';
import { insertKeyed } from '../store/keyed-insert.ts';

/**
 * Slots per block. A block is all-or-nothing; what a reservation does not use of its last block
 * is kept for this process's next one, so at most one block per worker is stranded at the end of
 * a day. A block of cap/1000 (1 to 50) keeps that waste at 0.1% of the cap per worker while
 * large caps still reserve a 500-recipient batch in 10 inserts. Every worker derives the same
 * size from the same cap, so they count blocks alike.
 */
export function quotaBlock(cap: number): number {
  return Math.min(50, Math.max(1, Math.floor(cap / 1000)));
}

export class MongoDailyCapStore implements DailyCapStore {
  /** slots of the last block this process won but did not use yet (its own, no one else's) */
  private spare = { day: '', slots: 0 };
  constructor(private readonly store: Store) {}

  async reserve(day: string, n: number, cap: number): Promise<number> {
    const block = quotaBlock(cap);
    const blocks = Math.ceil(cap / block);
    // Use what is left of our last block first (taken before any await, so concurrent calls in
    // this process never share it): batch after batch, a cap is counted exactly, not a block short each time.
    let granted = 0;
    if (this.spare.day === day) {
      granted = Math.min(n, this.spare.slots);
      this.spare.slots -= granted;
    }
    // Start after the blocks already taken today; races just move us further along.
    let next = granted < n ? await this.store.models.DailyQuota.countDocuments({ _id: { $regex: `^${day}:` } }) : blocks;
    while (granted < n && next < blocks) {
      const want = Math.min(blocks - next, Math.ceil((n - granted) / block));
      const ids = Array.from({ length: want }, (_, i) => next + i);
      const lost = await insertKeyed(this.store.models.DailyQuota.collection, ids.map((b) => ({ _id: `${day}:${b}`, used: 0 })));
      for (const [i, b] of ids.entries()) {
        if (!lost.has(i)) granted += Math.min(block, cap - b * block);
      }
      next += want;
    }
    // Slots beyond `n` in the last block are kept for this process's next reservation today.
    if (granted > n) this.spare = { day, slots: (this.spare.day === day ? this.spare.slots : 0) + granted - n };
    return Math.min(granted, n);
  }
}
