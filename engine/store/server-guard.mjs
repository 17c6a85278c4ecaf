// The guard of one embedded database server per data directory (plain JavaScript so it starts
// in milliseconds without the TypeScript loader). Started detached by the first command that
// needs the database; every command using the server holds a TCP connection to the guard's
// control port, and the kernel closes it however that command ends. When the last one is gone
// (after a short grace, so back-to-back commands reuse a warm server) the guard stops the
// server, removes the lock file and exits. The server gets the parent-death signal (setpriv
// --pdeathsig), so killing the guard, even with SIGKILL, takes the server down with it.
//
// argv[2]: JSON { lockPath, logPath, name, bin, args (may hold {port} / {debugPort}), idleMs, startTimeoutMs }
import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { existsSync, renameSync, unlinkSync, writeFileSync, appendFileSync } from 'node:fs';

const spec = JSON.parse(process.argv[2]);
let users = 0;
let everUsed = false;
let stopping = false;
let server;
let idleTimer;

function writeLock(state) {
  const tmp = `${spec.lockPath}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...state, guardPid: process.pid, at: new Date().toISOString() }));
  renameSync(tmp, spec.lockPath);
}
const log = (line) => { try { appendFileSync(spec.logPath, `${new Date().toISOString()} guard ${process.pid}: ${line}\n`); } catch { /* the log is best effort */ } };

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}
const canConnect = (port) => new Promise((resolve) => {
  const s = connect({ port, host: '127.0.0.1' });
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});

async function shutdown(code, why) {
  if (stopping) return;
  stopping = true;
  log(`stopping (${why})`);
  control?.close();
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGTERM');
    const exited = await Promise.race([new Promise((r) => server.once('exit', () => r(true))), new Promise((r) => setTimeout(() => r(false), 5000))]);
    if (!exited) server.kill('SIGKILL');
  }
  // Only now may another command start a server on these files.
  try { unlinkSync(spec.lockPath); } catch { /* already gone */ }
  process.exit(code);
}

function maybeIdle() {
  clearTimeout(idleTimer);
  if (users > 0) return;
  idleTimer = setTimeout(() => { if (users === 0) shutdown(0, everUsed ? 'no command uses the database any more' : 'no command connected'); }, everUsed ? spec.idleMs : Math.max(spec.idleMs, 15_000));
}

let control;
async function main() {
  writeLock({ state: 'starting' });
  const [port, debugPort] = [await freePort(), await freePort()];
  const args = spec.args.map((a) => a.replaceAll('{port}', String(port)).replaceAll('{debugPort}', String(debugPort)));
  const withPdeathsig = existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', spec.bin, ...args]] : [spec.bin, args];
  let stderr = '';
  let readyAt;
  const restarts = [];
  const spawnServer = () => {
    server = spawn(withPdeathsig[0], withPdeathsig[1], { stdio: ['ignore', 'ignore', 'pipe'] });
    server.stderr.on('data', (b) => { stderr = (stderr + b.toString()).slice(-4000); log(b.toString().trimEnd()); });
    server.once('exit', (code, signal) => {
      if (stopping || !readyAt) return;
      // Supervise: a crashed server is started again on the same port and files (its clients
      // reconnect by themselves); only if it keeps crashing does the guard give up, and then
      // every command using it sees the control connection close.
      const now = Date.now();
      while (restarts.length && restarts[0] < now - 60_000) restarts.shift();
      if (restarts.length >= 5) return shutdown(1, `${spec.name} exited unexpectedly 6 times within a minute (last: code ${code}, signal ${signal})`);
      restarts.push(now);
      log(`${spec.name} exited unexpectedly (code ${code}, signal ${signal}); restarting it`);
      spawnServer();
      void (async () => {
        const until = Date.now() + spec.startTimeoutMs;
        while (!stopping && !(await canConnect(port)) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
        if (!stopping && control) writeLock({ state: 'ready', port, serverPid: server.pid, controlPort: control.address().port, name: spec.name, restarts: restarts.length });
        log(`${spec.name} ready again on 127.0.0.1:${port} (pid ${server.pid})`);
      })();
    });
  };
  spawnServer();
  const deadline = Date.now() + spec.startTimeoutMs;
  while (!(await canConnect(port))) {
    if (server.exitCode !== null || server.signalCode !== null || Date.now() > deadline) {
      writeLock({ state: 'failed', error: `${spec.name} did not start on 127.0.0.1:${port}${server.exitCode !== null ? ` (it exited with code ${server.exitCode})` : ''}.\n${stderr.trim()}` });
      stopping = true;
      server.kill('SIGKILL');
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  readyAt = Date.now();
  control = createServer((socket) => {
    users++;
    everUsed = true;
    clearTimeout(idleTimer);
    socket.on('error', () => {});
    socket.once('close', () => { users--; maybeIdle(); });
    socket.write('ok\n');
  });
  await new Promise((r) => control.listen(0, '127.0.0.1', r));
  writeLock({ state: 'ready', port, serverPid: server.pid, controlPort: control.address().port, name: spec.name });
  log(`${spec.name} ready on 127.0.0.1:${port} (pid ${server.pid})`);
  maybeIdle();
}

process.on('SIGTERM', () => shutdown(0, 'SIGTERM'));
process.on('SIGINT', () => shutdown(0, 'SIGINT'));
process.on('SIGHUP', () => {}); // the terminal that started the first command may close; users decide our life
main().catch((e) => { log(`failed: ${e?.stack ?? e}`); try { writeLock({ state: 'failed', error: String(e?.message ?? e) }); } catch { /* nothing more to do */ } server?.kill('SIGKILL'); process.exit(1); });
