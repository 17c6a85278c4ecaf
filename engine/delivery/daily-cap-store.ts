// The daily cap shared by every worker. Counters can't be incremented atomically on the
// embedded database, so quota is handed out in blocks: a block is a document inserted
// under the unique id `<day>:<block>`, and a unique insert has exactly one winner.
import type { Store } from '../store/index.ts';
import type { DailyCapStore } from './throttle.ts';
import { insertIgnoringDuplicates } from '../scheduler/enqueue.ts';

export const QUOTA_BLOCK = 50;

export class MongoDailyCapStore implements DailyCapStore {
  constructor(private readonly store: Store) {}

  async reserve(day: string, n: number, cap: number): Promise<number> {
    const blocks = Math.ceil(cap / QUOTA_BLOCK);
    let granted = 0;
    // Start after the blocks already taken today; races just move us further along.
    let next = await this.store.models.DailyQuota.countDocuments({ _id: { $regex: `^${day}:` } });
    while (granted < n && next < blocks) {
      const want = Math.min(blocks - next, Math.ceil((n - granted) / QUOTA_BLOCK));
      const ids = Array.from({ length: want }, (_, i) => next + i);
      const lost = await insertIgnoringDuplicates(this.store.models.DailyQuota.collection, ids.map((b) => ({ _id: `${day}:${b}`, used: 0 })));
      for (const [i, b] of ids.entries()) {
        if (!lost.has(i)) granted += Math.min(QUOTA_BLOCK, cap - b * QUOTA_BLOCK);
      }
      next += want;
    }
    // A block is all-or-nothing; slots beyond `n` in the last block are simply not used.
    return Math.min(granted, n);
  }
}
