import { runCli } from '../support/cli.ts';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { previewCommand } from '../../engine/cli/preview.ts';
import { loadConfig } from '../../engine/config.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  expect(b.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('flywheel preview', () => {
  it('writes HTML, text and headers for a template sample, and PNGs of it at desktop and phone widths', async () => {
    const out = mkdtempSync(join(tmpdir(), 'flywheel-preview-'));
    const printed: string[] = [];
    const config = loadConfig({ FLYWHEEL_CAMPAIGNS_DIR: join(out, 'no-campaigns') });
    await previewCommand({ config, print: (l) => printed.push(l) })
      .parseAsync(['newsletter', '--sample', '--screenshot', '--out', out], { from: 'user' });

    const file = (name: string) => printed.find((p) => p.endsWith(name))!;
    expect(readFileSync(file('message.html'), 'utf8')).toContain('Running edge functions close to your users');
    expect(readFileSync(file('message.txt'), 'utf8')).toContain('Unsubscribe [');
    expect(readFileSync(file('headers.txt'), 'utf8')).toMatch(/^Subject: Flywheel Champions #42: Edge functions/m);
    const desktop = pngSize(file('desktop.png'));
    const mobile = pngSize(file('mobile.png'));
    expect(desktop.width).toBe(800);
    expect(mobile.width).toBe(375);
    // six items stacked: a long page, taller on a phone where text wraps more
    expect(desktop.height).toBeGreaterThan(1500);
    expect(mobile.height).toBeGreaterThan(desktop.height);
    expect(readFileSync(file('desktop.png')).length).toBeGreaterThan(20_000);
  }, 60_000);

  it('asks for --sample or --member', async () => {
    const cmd = previewCommand({ config: loadConfig({}), print: () => {} });
    const out = await runCli(cmd, ['newsletter']);
    expect(out).toMatchObject({ exitCode: 1, stderr: expect.stringMatching(/--sample or --member/) });
  });
});
