// The rows an import validated in its first pass, kept on disk for the second: they must come
// back exactly (dates as dates, in file order, batch by batch) and never stay behind on disk.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
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

  it('are never on disk by name, before or after dispose, also when nothing was pushed', () => {
    for (const count of [0, 3]) {
      const spill = new RowSpill<ReturnType<typeof row>>(2);
      for (let i = 0; i < count; i++) spill.push(row(i));
      expect(existsSync(dirname(spill.file))).toBe(false);
      expect([...spill.batches()].flat()).toHaveLength(count);
      spill.dispose();
      expect(existsSync(dirname(spill.file))).toBe(false);
    }
  });

  it('leave nothing behind when the import process is killed while it holds them', async () => {
    const script = `import { RowSpill } from './engine/audience/members/spill.ts';
      const spill = new RowSpill(100);
      for (let i = 0; i < 1000; i++) spill.push({ email: 'm' + i + '@example.org' });
      console.log(spill.file);
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    const file = await new Promise<string>((resolve) => child.stdout.once('data', (b: Buffer) => resolve(b.toString().trim())));
    // the rows are there, held open by the running process
    const held = execFileSync('ls', ['-l', `/proc/${child.pid}/fd`]).toString();
    expect(held).toContain(`${file} (deleted)`);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(existsSync(dirname(file))).toBe(false);
  });
});
