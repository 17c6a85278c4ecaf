// The contract every DailyCapStore passes: the cap holds per UTC day, partial grants say the
// cap is exhausted, and reservations racing from several workers never grant more than the cap.
// Each implementation's test calls runDailyCapContract with a factory; `workers` gives the
// stores that race (separate database connections for the shared store, the one instance for
// a one-process store).
import { describe, expect, it } from 'vitest';
import { reserveDailyQuota, type DailyCapStore } from '../../engine/delivery/index.ts';

export interface DailyCapHarness {
  /** stores for `n` workers that share one cap */
  workers(n: number): Promise<DailyCapStore[]>;
  dispose(): Promise<void>;
}

const NOON = new Date('2025-06-16T12:00:00Z');

export function runDailyCapContract(name: string, setup: () => Promise<DailyCapHarness>): void {
  describe(`${name} daily cap store contract`, () => {
    it('grants up to the cap, then a partial grant says it is exhausted until UTC midnight', async () => {
      const h = await setup();
      try {
        const [store] = await h.workers(1);
        expect(await reserveDailyQuota(store!, 100, 80, NOON)).toEqual({ granted: 80, day: '2025-06-16', exhausted: false });
        expect(await reserveDailyQuota(store!, 100, 50, NOON)).toEqual({ granted: 20, day: '2025-06-16', exhausted: true, refillsAt: new Date('2025-06-17T00:00:00Z') });
        expect(await reserveDailyQuota(store!, 100, 1, NOON)).toMatchObject({ granted: 0, exhausted: true });
      } finally {
        await h.dispose();
      }
    });

    it('a new UTC day starts a new count', async () => {
      const h = await setup();
      try {
        const [store] = await h.workers(1);
        expect((await reserveDailyQuota(store!, 10, 10, new Date('2025-06-16T23:59:59Z'))).granted).toBe(10);
        expect((await reserveDailyQuota(store!, 10, 10, new Date('2025-06-17T00:00:01Z'))).granted).toBe(10);
        expect((await reserveDailyQuota(store!, 10, 1, new Date('2025-06-17T12:00:00Z'))).granted).toBe(0);
      } finally {
        await h.dispose();
      }
    });

    it('a large cap is counted exactly, one batch after another', async () => {
      const h = await setup();
      try {
        const [store] = await h.workers(1);
        let granted = 0;
        for (let i = 0; i < 30; i++) granted += (await reserveDailyQuota(store!, 12_000, 500, NOON)).granted;
        expect(granted).toBe(12_000);
      } finally {
        await h.dispose();
      }
    });

    it('three workers racing for the same cap are never granted more than the cap, and use it up', async () => {
      const h = await setup();
      try {
        const stores = await h.workers(3);
        // 60 reservations of 7 (420 asked for a cap of 100), started together across the workers
        const grants = await Promise.all(Array.from({ length: 60 }, (_, i) => reserveDailyQuota(stores[i % stores.length]!, 100, 7, NOON)));
        const total = grants.reduce((sum, g) => sum + g.granted, 0);
        expect(total).toBeLessThanOrEqual(100);
        expect(total).toBe(100);
        // and nothing is left for a latecomer
        expect((await reserveDailyQuota(stores[0]!, 100, 1, NOON)).granted).toBe(0);
      } finally {
        await h.dispose();
      }
    });
  });
}
