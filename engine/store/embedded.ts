// Starting and stopping an embedded database server as a child process.
// The server is wrapped in a tiny shell guard that kills it as soon as our end of its
// stdin pipe closes, which the kernel does whenever we exit: normally, on Ctrl-C, on an
// uncaught error, even on SIGKILL. So no signal handlers are needed and none are installed:
// long-running commands keep their own graceful shutdown.
import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { FlywheelError } from '../errors.ts';

export interface RunningServer {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Ask the kernel for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

// `read` returns when the parent's end of the pipe closes (normal stop, crash or SIGKILL).
const GUARD = 'exec 3<&0; "$0" "$@" </dev/null 1>&2 & child=$!; read _ <&3; kill $child 2>/dev/null; wait $child';

/** Spawn `bin args`, wait until `port` accepts connections, return a handle that stops it. */
export async function startGuarded(name: string, bin: string, args: string[], port: number, timeoutMs = 30_000): Promise<RunningServer> {
  const child = spawn('/bin/sh', ['-c', GUARD, bin, ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  // Don't keep the event loop alive just for the database.
  child.unref();
  (child.stdin as unknown as { unref?: () => void })?.unref?.();
  (child.stderr as unknown as { unref?: () => void })?.unref?.();

  const deadline = performance.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (exited || performance.now() > deadline) {
      child.stdin?.destroy();
      throw new FlywheelError('DB_START_FAILED', `${name} did not start on 127.0.0.1:${port}${exited ? ' (it exited)' : ''}.\n${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    pid: child.pid ?? -1,
    async stop() {
      if (exited) return;
      child.stdin?.end();
      await Promise.race([exitedPromise, new Promise((r) => setTimeout(r, 5000))]);
      if (!exited) child.kill('SIGKILL');
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
