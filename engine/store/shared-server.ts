// One embedded database server per data directory, shared by every command that uses it.
// `server.lock` in the server's directory says who runs it: created exclusively (O_EXCL) by the
// first command, then rewritten by the guard (server-guard.mjs) with the server's address. Later
// commands read the address and register with the guard by holding a connection to it; nobody
// ever starts a second server on the same files. A lock whose guard is dead is cleaned up here
// (and a server it left behind is killed) before a new one starts.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlywheelError } from '../errors.ts';

const GUARD_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'server-guard.mjs');

export interface ServerSpec {
  /** shown in messages: "FerretDB", "mongod" */
  name: string;
  bin: string;
  /** arguments; `{port}` and `{debugPort}` are replaced by free loopback ports the guard picks */
  args: string[];
  /** the directory holding the server's files; the lock and the guard's log live here */
  dir: string;
  /** how long the server outlives its last user (ms) */
  idleMs?: number;
  startTimeoutMs?: number;
}

export interface SharedServer {
  readonly port: number;
  readonly guardPid: number;
  readonly serverPid: number;
  /** this command no longer needs the server; the guard stops it when nobody else does */
  release(): Promise<void>;
  /**
   * Call `listener` if the guard goes away while this command still uses the server: it gave up
   * restarting a server that kept crashing, or it was killed. `why` is the guard's last log line.
   */
  onLost(listener: (why: string) => void): void;
}

type LockState =
  | { state?: undefined; clientPid: number; at: string }
  | { state: 'starting'; guardPid: number; at: string }
  | { state: 'ready'; guardPid: number; serverPid: number; port: number; controlPort: number; at: string }
  | { state: 'failed'; guardPid: number; error: string; at: string };

export const lockPathFor = (dir: string) => join(dir, 'server.lock');

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(path: string): LockState | 'missing' | 'unreadable' {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockState;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** Remove a lock whose owner is gone, killing a server it may have left running. */
function clearStaleLock(path: string, lock: LockState | 'unreadable', bin: string): boolean {
  if (lock === 'unreadable') {
    if (ageMs(path) < 5_000) return false; // being written right now
  } else if (lock.state === undefined) {
    if (alive(lock.clientPid) && ageMs(path) < 10_000) return false; // its guard is being spawned
  } else if (lock.state === 'failed') {
    return false; // reported (and removed) by whoever reads it
  } else if (alive(lock.guardPid)) {
    return false;
  } else if (lock.state === 'ready' && alive(lock.serverPid) && isProcessOf(lock.serverPid, bin)) {
    process.kill(lock.serverPid, 'SIGKILL'); // orphaned by a guard that died before the kernel could signal it
  }
  try {
    unlinkSync(path);
  } catch { /* someone else cleaned it */ }
  return true;
}

function isProcessOf(pid: number, bin: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(bin);
  } catch {
    return false;
  }
}

/** Connect to the guard's control port; resolves once it greets us (we are then counted as a user). */
function register(controlPort: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ port: controlPort, host: '127.0.0.1' });
    const fail = () => { socket.destroy(); resolve(undefined); };
    socket.once('error', fail);
    socket.once('close', fail);
    socket.once('data', () => {
      socket.removeListener('close', fail);
      socket.on('error', () => {});
      resolve(socket);
    });
  });
}

function spawnGuard(spec: ServerSpec, lockPath: string): void {
  const config = { lockPath, logPath: join(spec.dir, 'server.log'), name: spec.name, bin: spec.bin, args: spec.args, idleMs: spec.idleMs ?? 1500, startTimeoutMs: spec.startTimeoutMs ?? 30_000 };
  // detached: its own process group, so a Ctrl-C aimed at this command does not stop a server others use
  const child = spawn(process.execPath, [GUARD_SCRIPT, JSON.stringify(config)], { detached: true, stdio: 'ignore' });
  child.unref();
}

/** Use the data directory's server, starting it (through its guard) if none runs. */
export async function acquireSharedServer(spec: ServerSpec): Promise<SharedServer> {
  const lockPath = lockPathFor(spec.dir);
  const deadline = performance.now() + (spec.startTimeoutMs ?? 30_000) + 30_000;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ clientPid: process.pid, at: new Date().toISOString() }));
      closeSync(fd);
      spawnGuard(spec, lockPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const lock = readLock(lockPath);
    if (lock !== 'missing') {
      if (lock !== 'unreadable' && lock.state === 'ready') {
        const socket = await register(lock.controlPort);
        if (socket) {
          socket.unref(); // the registration must not keep the command alive
          let released = false;
          const lost: Array<(why: string) => void> = [];
          socket.once('close', () => {
            if (released) return;
            const why = guardStopReason(join(spec.dir, 'server.log')) ?? `its guard process (pid ${lock.guardPid}) was stopped or killed`;
            for (const listener of lost) listener(why);
          });
          return {
            port: lock.port,
            guardPid: lock.guardPid,
            serverPid: lock.serverPid,
            release: async () => { released = true; socket.destroy(); },
            onLost: (listener) => { lost.push(listener); },
          };
        }
      } else if (lock !== 'unreadable' && lock.state === 'failed') {
        try { unlinkSync(lockPath); } catch { /* another command reported it first */ }
        throw new FlywheelError('DB_START_FAILED', lock.error, { hint: `The server's log is ${join(spec.dir, 'server.log')}.` });
      }
      clearStaleLock(lockPath, lock, spec.bin);
    }
    if (performance.now() > deadline) {
      throw new FlywheelError('DB_START_FAILED', `${spec.name} for ${spec.dir} did not become ready in time (lock ${lockPath}).`, {
        hint: `Another command may be starting it; see ${join(spec.dir, 'server.log')}. If no flywheel command runs, delete the lock file.`,
      });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Why the guard stopped, if it said so ("stopping (FerretDB exited unexpectedly 6 times …)"). A guard
 * that was killed says nothing, and its last line ("FerretDB ready on …") would mislead.
 */
function guardStopReason(logPath: string): string | undefined {
  try {
    const lines = readFileSync(logPath, 'utf8').trimEnd().split('\n').filter((l) => / guard \d+: /.test(l));
    const last = lines.at(-1)?.replace(/^.* guard \d+: /, '');
    return last?.startsWith('stopping (') ? last.slice('stopping ('.length, -1) : undefined;
  } catch {
    return undefined;
  }
}
