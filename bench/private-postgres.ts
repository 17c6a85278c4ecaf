// A private PostgreSQL cluster for the database comparison (bench:db): initdb into a directory,
// one postmaster listening only on a unix socket in that directory, trust authentication for the
// one local user. PostgreSQL refuses to run as root, so as root the cluster is owned by and run
// as the `postgres` account (setpriv). The postmaster gets the parent-death signal, so a bench
// that dies does not leave it running.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';

export const PG_USER = 'flywheel';

/** Debian's server binaries (postgresql-15 and later), or PG_BIN. */
export function findPostgresBin(): string | undefined {
  if (process.env.PG_BIN) return existsSync(join(process.env.PG_BIN, 'postgres')) ? process.env.PG_BIN : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

function ownerIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw new Error('running as root needs the postgres account (Debian creates it with the server package)');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** As root: run as the postgres account; always: die with our process. */
function command(bin: string, args: string[], owner: { uid: number; gid: number } | undefined): [string, string[]] {
  const ids = owner ? [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--init-groups'] : [];
  return ['/usr/bin/setpriv', [...ids, '--pdeathsig', 'KILL', '--', bin, ...args]];
}

export interface PrivatePostgres {
  /** for FerretDB's --postgresql-url: the unix socket directory as host */
  url: string;
  socketDir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** initdb (if the directory is new) and start the postmaster; resolves once it accepts connections. */
export async function startPrivatePostgres(dir: string, settings: Record<string, string> = {}): Promise<PrivatePostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('no PostgreSQL server binaries (apt-get install postgresql, or set PG_BIN)');
  const owner = ownerIds();
  const dataDir = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  if (owner) chownSync(dir, owner.uid, owner.gid);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    const [cmd, args] = command(join(bin, 'initdb'), ['-D', dataDir, '-U', PG_USER, '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], owner);
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`initdb failed: ${r.stderr || r.stdout}`);
  }
  const options = { listen_addresses: '', unix_socket_directories: dir, ...settings };
  const [cmd, args] = command(join(bin, 'postgres'), ['-D', dataDir, ...Object.entries(options).flatMap(([k, v]) => ['-c', `${k}=${v}`])], owner);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (b: Buffer) => { log = (log + b.toString()).slice(-4000); });
  const isReady = join(bin, 'pg_isready');
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`postgres exited with code ${child.exitCode}: ${log}`);
    if (spawnSync(isReady, ['-q', '-h', dir, '-U', PG_USER, '-d', 'postgres']).status === 0) break;
    if (i > 600) throw new Error(`postgres did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `postgres://${PG_USER}@/postgres?host=${encodeURIComponent(dir)}`,
    socketDir: dir,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
      await once(child, 'exit');
    },
  };
}
