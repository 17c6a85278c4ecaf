// FLYWHEEL_HEAP_GROWTH_PERCENT (engine/memory.ts) must take effect in a running process: V8 reads
// the flag when it sets each collection's threshold, and the engine sets it after start-up. Two
// real processes with the same allocations, one left to V8's default, one bounded at 50%.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const probe = fileURLToPath(new URL('./heap-growth-probe.ts', import.meta.url));
async function peakHeap(percent: number): Promise<{ aliveMb: number; peakMb: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', probe, String(percent)], { timeout: 60_000 });
  return JSON.parse(stdout) as { aliveMb: number; peakMb: number };
}

describe('heap growth bound', () => {
  it('keeps the heap near what is alive, where V8 alone lets garbage pile up to more than twice that', async () => {
    const unbounded = await peakHeap(0);
    const bounded = await peakHeap(50);
    expect(unbounded.peakMb).toBeGreaterThan(unbounded.aliveMb * 1.8);
    expect(bounded.peakMb).toBeLessThan(bounded.aliveMb * 1.5);
    expect(bounded.peakMb).toBeLessThan(unbounded.peakMb * 0.7);
  }, 120_000);
});
