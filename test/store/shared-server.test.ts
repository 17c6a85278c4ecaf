// One embedded database server per data directory, whoever starts it and however they end:
// real CLI processes, real FerretDB, real signals.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, resolveDatabase, ROOT_DIR } from '../../engine/store/index.ts';
import { lockPathFor } from '../../engine/store/shared-server.ts';
import { runFlywheel } from '../support/cli-process.ts';

const dirs: string[] = [];
const children: ChildProcess[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(ROOT_DIR, '.data', 'shared-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 3000));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Pids of database servers whose command line names `dir`. */
function serversOn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => a.includes('ferretdb') || a.includes('mongod')) && cmd.some((a) => a.includes(dir)) && !cmd.some((a) => a.endsWith('server-guard.mjs'))) pids.push(Number(entry));
    } catch { /* the process ended meanwhile */ }
  }
  return pids.filter((p) => { try { return !readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('/usr/bin/setpriv'); } catch { return false; } });
}
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) { if (check()) return true; await new Promise((r) => setTimeout(r, 100)); }
  return check();
}
const env = (dir: string) => ({ MONGODB_URI: undefined, FLYWHEEL_DATA_DIR: dir });

describe('one database server per data directory', () => {
  it('two commands started together on a fresh data directory share one server, and it stops after them', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, 'a.csv'), 'email,program\nada@example.org,education\nalan@example.org,startups\n');
    writeFileSync(join(dir, 'b.csv'), 'email,program\nbob@example.org,education\ncy@example.org,contributor\n');
    const seen = new Set<number>();
    const watch = setInterval(() => { for (const p of serversOn(dir)) seen.add(p); }, 50);
    const [a, b] = await Promise.all([
      runFlywheel(['members', 'import', join(dir, 'a.csv')], env(dir)),
      runFlywheel(['members', 'import', join(dir, 'b.csv')], env(dir)),
    ]);
    clearInterval(watch);
    expect(a.stderr + b.stderr).not.toMatch(/MongoServerError|already exists|at .*\.ts:\d+/);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(seen.size).toBe(1);
    expect(await waitUntil(() => serversOn(dir).length === 0 && !existsSync(lockPathFor(join(dir, 'ferretdb'))), 15_000)).toBe(true);

    const db = await resolveDatabase({ dataDir: dir, rootDir: ROOT_DIR });
    const store = await openStore(db.uri, 'flywheel');
    try {
      expect((await store.models.Member.find({}, { email: 1 }).lean()).map((m) => m.email).sort()).toEqual(['ada@example.org', 'alan@example.org', 'bob@example.org', 'cy@example.org']);
    } finally {
      await store.close();
      await db.stop();
    }
  }, 240_000);

  it('killing the guard (SIGKILL) takes the database server with it, and the next command starts a fresh one', async () => {
    const dir = dataDir();
    const db = await resolveDatabase({ dataDir: dir, rootDir: ROOT_DIR });
    const lock = JSON.parse(readFileSync(lockPathFor(join(dir, 'ferretdb')), 'utf8')) as { guardPid: number; serverPid: number };
    expect(serversOn(dir)).toEqual([lock.serverPid]);
    process.kill(lock.guardPid, 'SIGKILL');
    expect(await waitUntil(() => !alive(lock.serverPid), 5_000)).toBe(true);
    await db.stop();
    expect(serversOn(dir)).toEqual([]);
    // the lock left behind names a dead guard: it is cleaned up, not obeyed
    const again = await resolveDatabase({ dataDir: dir, rootDir: ROOT_DIR });
    const store = await openStore(again.uri, 'flywheel');
    await store.db.collection('probe').insertOne({ ok: 1 });
    await store.close();
    await again.stop();
    expect(await waitUntil(() => serversOn(dir).length === 0, 15_000)).toBe(true);
  }, 120_000);

  it('a command killed with SIGKILL leaves no database server running', async () => {
    const dir = dataDir();
    const childEnv: Record<string, string | undefined> = { ...process.env, FLYWHEEL_DATA_DIR: dir };
    delete childEnv.MONGODB_URI;
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT_DIR, 'test', 'support', 'hold-database.ts')], { cwd: ROOT_DIR, env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const line = await new Promise<string>((resolve) => child.stdout!.once('data', (b: Buffer) => resolve(b.toString())));
    expect(JSON.parse(line)).toMatchObject({ pid: child.pid });
    const [server] = serversOn(dir);
    expect(server).toBeGreaterThan(0);
    child.kill('SIGKILL');
    expect(await waitUntil(() => !alive(server as number) && serversOn(dir).length === 0, 15_000)).toBe(true);
    expect(existsSync(lockPathFor(join(dir, 'ferretdb')))).toBe(false);
  }, 120_000);
});
