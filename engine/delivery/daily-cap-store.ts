// The daily cap shared by every worker. Counters can't be incremented atomically on the
// embedded database, so quota is handed out in blocks: a block is a document inserted
// under the unique id `<day>:<block>`, and a unique insert has exactly one winner.
import type { Store } from '../store/index.ts';
import type { DailyCapStore } from './throttle.ts';
import { insertIgnoringDuplicates } from '../scheduler/enqueue.ts';

/**
 * Slots per block. A block is all-or-nothing, so a reservation can strand up to one block's
 * unused slots; a block of cap/1000 (1 to 50) keeps that waste under 0.1% of the cap while
 * large caps still reserve a 500-recipient batch in 10 inserts. Every worker derives the same
 * size from the same cap, so they count blocks alike.
 */
export function quotaBlock(cap: number): number {
  return Math.min(50, Math.max(1, Math.floor(cap / 1000)));
}

export class MongoDailyCapStore implements DailyCapStore {
  constructor(private readonly store: Store) {}

  async reserve(day: string, n: number, cap: number): Promise<number> {
    const block = quotaBlock(cap);
    const blocks = Math.ceil(cap / block);
    let granted = 0;
    // Start after the blocks already taken today; races just move us further along.
    let next = await this.store.models.DailyQuota.countDocuments({ _id: { $regex: `^${day}:` } });
    while (granted < n && next < blocks) {
      const want = Math.min(blocks - next, Math.ceil((n - granted) / block));
      const ids = Array.from({ length: want }, (_, i) => next + i);
      const lost = await insertIgnoringDuplicates(this.store.models.DailyQuota.collection, ids.map((b) => ({ _id: `${day}:${b}`, used: 0 })));
      for (const [i, b] of ids.entries()) {
        if (!lost.has(i)) granted += Math.min(block, cap - b * block);
      }
      next += want;
    }
    // Slots beyond `n` in the last block are simply not used.
    return Math.min(granted, n);
  }
}
