// A one-process DailyCapStore for pure tests of the sender's quota logic. Not shared across
// workers, so production never uses it (engine/delivery/daily-cap-store.ts is the real one);
// it passes the same contract (test/delivery/daily-cap-contract.ts) within one process.
import { grantWithinCap, type DailyCapStore } from '../../engine/delivery/index.ts';

export class InMemoryDailyCapStore implements DailyCapStore {
  private readonly used = new Map<string, number>();
  async reserve(day: string, n: number, cap: number): Promise<number> {
    const used = this.used.get(day) ?? 0;
    const granted = grantWithinCap(used, n, cap);
    this.used.set(day, used + granted);
    return granted;
  }
}
