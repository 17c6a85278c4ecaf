// When the embedded database keeps crashing, its guard restarts it 5 times a minute and then
// gives up. A long-running command must not carry on without a database: it exits non-zero at
// once, naming the database, so that a service manager restarts it (and with it the database).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TEST_SECRET } from '../support/engine.ts';
import { ROOT_DIR } from '../../engine/store/index.ts';
import { waitFor } from './harness.ts';
import { startService, stopServices, writeCampaignsDir } from './service-process.ts';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(ROOT_DIR, '.data', 'db-gone-')); });
afterAll(async () => {
  await stopServices();
  const lock = join(dir, 'data', 'ferretdb', 'server.lock');
  for (let i = 0; i < 100 && existsSync(lock); i++) await new Promise((r) => setTimeout(r, 100));
  rmSync(dir, { recursive: true, force: true });
});

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

it('flywheel start exits non-zero, naming the database, once the guard gives up restarting it', async () => {
  const lockPath = join(dir, 'data', 'ferretdb', 'server.lock');
  const readLock = () => { try { return JSON.parse(readFileSync(lockPath, 'utf8')) as { state?: string; serverPid?: number }; } catch { return undefined; } };
  const service = startService('start', {
    MONGODB_URI: undefined, // the embedded database, in this test's own data directory
    FLYWHEEL_DATA_DIR: join(dir, 'data'),
    FLYWHEEL_CAMPAIGNS_DIR: writeCampaignsDir(join(dir, 'campaigns'), {}),
    FLYWHEEL_SECRET: TEST_SECRET,
  });
  await waitFor('flywheel start to be up', () => service.lines().some((l) => l.msg === 'flywheel started'), 120_000, 100, () => service.stderr());

  // Crash the database six times within a minute: the guard restarts it five times, then gives up.
  const killed: number[] = [];
  for (let crash = 1; crash <= 6; crash++) {
    await waitFor(`the database to be ready (crash ${crash})`, () => { const l = readLock(); return l?.state === 'ready' && !!l.serverPid && !killed.includes(l.serverPid); }, 30_000, 50);
    const pid = readLock()!.serverPid!;
    killed.push(pid);
    process.kill(pid, 'SIGKILL');
  }
  const gaveUpAt = performance.now();
  const { code, at } = await service.exited;
  expect(code).toBe(2);
  expect(at - gaveUpAt).toBeLessThan(10_000);
  expect(service.stderr()).toMatch(/embedded database \(ferretdb, data in .*db-gone-.*\) is gone/);
  expect(service.stderr()).toMatch(/exited unexpectedly 6 times within a minute/);
  // and it leaves no database process behind
  await waitFor('the guard to stop', () => !existsSync(lockPath), 10_000, 100);
  expect(killed.filter(alive)).toEqual([]);
  console.info(`gave up -> exit ${code} after ${Math.round(at - gaveUpAt)} ms`);
}, 240_000);
