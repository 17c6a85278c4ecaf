// `flywheel feeds check` through the real CLI (bin/flywheel.js in its own process), as an
// author tries a feed before adding it: exact item counts as JSON, and a non-zero exit with
// the reason for a page that is not a feed and for a 404.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedServer, standardFixtures } from './feed-fixtures.ts';
import { ROOT_DIR } from '../../engine/store/index.ts';
import { feedsCommand } from '../../engine/cli/feeds.ts';
import { runCli } from '../support/cli.ts';

let server: FeedServer;
let fixtures: ReturnType<typeof standardFixtures>;

function flywheel(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT_DIR, 'bin', 'flywheel.js'), ...args], { cwd: ROOT_DIR, env: { ...process.env, LOG_LEVEL: 'silent' }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 2) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  server = await FeedServer.start();
  fixtures = standardFixtures(server);
  server.set('/page.html', { contentType: 'text/html', body: '<!DOCTYPE html><html><head><title>Blog</title></head><body>Posts</body></html>' });
});
afterAll(async () => {
  await server?.close();
});

/** The same command object the binary registers, run in this process (one process per fixture would take minutes on 2 cores). */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  const { exitCode, stderr } = await runCli(feedsCommand({ print: (t) => { stdout += t; } }), args);
  return { code: exitCode, stdout, stderr };
}

describe('flywheel feeds check URL', () => {
  it('prints every fixture\'s normalised items as JSON with the exact count', async () => {
    const runs = [];
    for (const [name, f] of Object.entries(fixtures)) runs.push({ name, expected: f.items, run: await inProcess(['check', server.url(f.path)]) });
    // and once through the binary itself
    runs.push({ name: 'atom (bin/flywheel.js)', expected: fixtures.atom.items, run: await flywheel(['feeds', 'check', server.url(fixtures.atom.path)]) });
    for (const { name, expected, run } of runs) {
      expect(run.code, `${name}: ${run.stderr}`).toBe(0);
      const out = JSON.parse(run.stdout) as { count: number; items: Array<{ title: string; url: string }> };
      expect([name, out.count, out.items.length]).toEqual([name, expected, expected]);
      expect(out.items.every((i) => i.title && i.url.startsWith('https://'))).toBe(true);
      expect(run.stderr).toContain(`${expected} item(s)`);
    }
  }, 120_000);

  it('exits 1 with the reason for an HTML page and for a 404', async () => {
    const page = await flywheel(['feeds', 'check', server.url('/page.html')]);
    const missing = await flywheel(['feeds', 'check', server.url('/gone.xml')]);
    expect(page.code).toBe(1);
    expect(page.stdout).toBe('');
    expect(page.stderr).toContain('FEED_NOT_A_FEED');
    expect(page.stderr).toContain('an HTML page');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('HTTP 404');
  }, 120_000);
});
