// The rows an import validated in its first pass, kept on disk for the second: they must come
// back exactly (dates as dates, in file order, batch by batch) and never stay behind on disk.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RowSpill } from '../../engine/audience/members/spill.ts';

const row = (i: number) => ({ email: `m${i}@example.org`, set: { program: 'education', awardedAt: new Date(Date.UTC(2026, 0, 1 + (i % 28))), tags: [`t${i % 3}`], 'attributes.seats': String(i) } });

describe('import rows kept between the passes', () => {
  it('come back in file order, a batch at a time, with dates still dates', () => {
    const spill = new RowSpill<ReturnType<typeof row>>(4);
    try {
      for (let i = 0; i < 10; i++) spill.push(row(i));
      const batches = [...spill.batches()];
      expect(batches.map((b) => b.length)).toEqual([4, 4, 2]);
      expect(batches.flat()).toEqual(Array.from({ length: 10 }, (_, i) => row(i)));
      expect(batches[0]![1]!.set.awardedAt).toBeInstanceOf(Date);
      // a second read (nothing written in between) gives the same rows
      expect([...spill.batches()].flat()).toHaveLength(10);
    } finally {
      spill.dispose();
    }
  });

  it('leave no file behind once disposed, also when nothing was pushed', () => {
    for (const count of [0, 3]) {
      const spill = new RowSpill<ReturnType<typeof row>>(2);
      for (let i = 0; i < count; i++) spill.push(row(i));
      expect(existsSync(spill.file)).toBe(true);
      spill.dispose();
      expect(existsSync(spill.file)).toBe(false);
    }
  });
});
