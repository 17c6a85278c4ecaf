// Which database do we talk to? One answer for the CLI, the demo and the tests:
//   1. MONGODB_URI, if set;
//   2. an embedded server with its data under the data dir: mongod on PATH, else
//      FerretDB 1.24 (built once from the Go module proxy), else mongodb-memory-server.
import { existsSync, mkdirSync, mkdtempSync, cpSync, readFileSync, writeFileSync, chmodSync, rmSync, readdirSync, renameSync, statSync } from 'node:fs';
import { spawnSync, execFileSync } from 'node:child_process';
import { join, resolve as resolvePath, delimiter } from 'node:path';
import { FlywheelError } from '../errors.ts';
import { acquireSharedServer, type SharedServer } from './shared-server.ts';

export const FERRETDB_VERSION = 'v1.24.2';
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
/** Names our build (the release plus FERRETDB_PATCHES): a cached build without them is rebuilt. */
const FERRETDB_BUILD = `ferretdb-${FERRETDB_VERSION}-idindex-updateconns-compact`;

/**
 * FerretDB 1.24's SQLite backend creates the `_id` index on `_ferretdb_sjson->"_id"` but looks
 * documents up by `_ferretdb_sjson->'$._id'`. SQLite matches index expressions textually, so every
 * find, update and delete by `_id` scanned the whole table (0.15 s per lookup at 100,000 rows,
 * 0.1 ms with the index). The fix makes the lookup use the indexed expression; both select the same
 * JSON value, so results are unchanged and existing data files work as they are.
 */
export const ID_INDEX_PATCH = {
  file: join('internal', 'backends', 'sqlite', 'metadata', 'metadata.go'),
  from: `IDColumn = DefaultColumn + "->'$._id'"`,
  to: 'IDColumn = DefaultColumn + `->"_id"`',
} as const;

/**
 * FerretDB 1.24's `update` command defers closing each statement's read cursor to the end of the
 * whole command, and each open cursor holds one of the 100 SQLite connections in its pool. A command
 * with about 100 statements (a bulkWrite of 100 updateOne, a member import re-importing 1,000 rows)
 * exhausts the pool; its next write waits for a connection forever, and so does every other client
 * of the server. The fix closes each statement's cursor as soon as that statement is done.
 */
export const UPDATE_CONNECTIONS_PATCH = {
  file: join('internal', 'handler', 'msg_update.go'),
  from: '\t\tcloser := iterator.NewMultiCloser()\n\t\tdefer closer.Close()\n',
  to: '\t\tcloser := iterator.NewMultiCloser()\n',
  and: {
    from: '\t\tresult, err := common.UpdateDocument(ctx, c, "update", iter, &u)\n',
    to: '\t\tresult, err := common.UpdateDocument(ctx, c, "update", iter, &u)\n\t\tcloser.Close()\n',
  },
} as const;

/**
 * `compact` with `force: true` runs SQLite's VACUUM, which rewrites the database file without its
 * free pages, but in WAL mode the rewrite goes through the write-ahead log, and old frames (erased
 * members' addresses among them) stay in the -wal file. The fix checkpoints the log into the
 * database and truncates it to zero bytes after the VACUUM, and fails if a reader blocked that.
 */
export const COMPACT_CHECKPOINT_PATCH = {
  file: join('internal', 'backends', 'sqlite', 'collection.go'),
  from: '\tif _, err := db.ExecContext(ctx, q); err != nil {\n\t\treturn nil, lazyerrors.Error(err)\n\t}\n\n\treturn new(backends.CompactResult), nil\n',
  to: '\tif _, err := db.ExecContext(ctx, q); err != nil {\n\t\treturn nil, lazyerrors.Error(err)\n\t}\n\n' +
    '\tif params != nil && params.Full {\n' +
    '\t\tvar busy, walFrames, checkpointed int64\n' +
    '\t\tif err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &walFrames, &checkpointed); err != nil {\n' +
    '\t\t\treturn nil, lazyerrors.Error(err)\n\t\t}\n' +
    '\t\tif busy != 0 {\n\t\t\treturn nil, lazyerrors.New("wal_checkpoint(TRUNCATE) was blocked by another connection; try again")\n\t\t}\n\t}\n\n' +
    '\treturn new(backends.CompactResult), nil\n',
} as const;

/** Every change our build makes to the FerretDB sources, each replacing exact text once. */
const FERRETDB_PATCHES: ReadonlyArray<{ file: string; from: string; to: string }> = [
  ID_INDEX_PATCH,
  { file: UPDATE_CONNECTIONS_PATCH.file, from: UPDATE_CONNECTIONS_PATCH.from, to: UPDATE_CONNECTIONS_PATCH.to },
  { file: UPDATE_CONNECTIONS_PATCH.file, ...UPDATE_CONNECTIONS_PATCH.and },
  COMPACT_CHECKPOINT_PATCH,
];

export type DatabaseKind = 'external' | 'mongod' | 'ferretdb' | 'memory-server';

export interface ResolvedDatabase {
  kind: DatabaseKind;
  /** connection string without a database name */
  uri: string;
  stop(): Promise<void>;
  /** an embedded server's guard gave up (or died) while we use it; never called for MONGODB_URI */
  onLost?(listener: (why: string) => void): void;
}

export interface ResolveOptions {
  mongodbUri?: string;
  /** where embedded servers keep their files (created if missing) */
  dataDir: string;
  /** project root: FerretDB is looked for and built under <root>/.cache/bin */
  rootDir: string;
  /** progress lines for one-time work (building FerretDB) */
  onProgress?: (line: string) => void;
}

export async function resolveDatabase(opts: ResolveOptions): Promise<ResolvedDatabase> {
  if (opts.mongodbUri) return { kind: 'external', uri: opts.mongodbUri, stop: async () => {} };
  const dataDir = resolvePath(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });

  const mongod = which('mongod');
  if (mongod) return fromServer('mongod', await startMongod(mongod, join(dataDir, 'mongod')));

  // Our patched build first (built when Go is here), a `ferretdb` on PATH only without Go.
  const ferret = findFerretDb(opts.rootDir) ?? (which('go') ? buildFerretDb(opts.rootDir, opts.onProgress) : which('ferretdb'));
  if (ferret) return fromServer('ferretdb', await startFerretDb(ferret, join(dataDir, 'ferretdb')));

  const memory = await startMemoryServer(join(dataDir, 'memory-server'));
  if (memory) return memory;

  throw new FlywheelError(
    'DB_UNAVAILABLE',
    'No database available. Flywheel needs one of:\n' +
      '  1. MONGODB_URI pointing at a MongoDB (or MongoDB-compatible) server;\n' +
      '  2. `mongod` on PATH (Flywheel starts it with data under .data/);\n' +
      `  3. Go installed (Flywheel builds FerretDB ${FERRETDB_VERSION} once into .cache/bin), or a \`ferretdb\` binary on PATH;\n` +
      '  or internet access for mongodb-memory-server to download a mongod.',
  );
}

function fromServer(kind: DatabaseKind, server: SharedServer): ResolvedDatabase {
  return { kind, uri: `mongodb://127.0.0.1:${server.port}`, stop: () => server.release(), onLost: (listener) => server.onLost(listener) };
}

function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, bin);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The data directory's mongod: shared by every command using it (see shared-server.ts). */
async function startMongod(bin: string, dbPath: string): Promise<SharedServer> {
  mkdirSync(dbPath, { recursive: true });
  return acquireSharedServer({ name: 'mongod', bin, dir: dbPath, args: ['--dbpath', dbPath, '--port', '{port}', '--bind_ip', '127.0.0.1', '--quiet'] });
}

/** Our FerretDB build under <root>/.cache/bin, if it was built already. */
export function findFerretDb(rootDir: string): string | undefined {
  const local = join(rootDir, '.cache', 'bin', FERRETDB_BUILD);
  return existsSync(local) ? local : undefined;
}

/** The data directory's FerretDB: shared by every command using it (see shared-server.ts). */
async function startFerretDb(bin: string, dir: string): Promise<SharedServer> {
  mkdirSync(join(dir, 'sqlite'), { recursive: true });
  return acquireSharedServer({ name: 'FerretDB', bin, dir, args: [
    '--handler=sqlite',
    // WAL + synchronous=NORMAL: commits survive a crash of any process, fsync only at checkpoints
    // (FULL would fsync every write, about 20-40 ms each on these disks).
    `--sqlite-url=file:${join(dir, 'sqlite')}/?_txlock=immediate&_pragma=synchronous(NORMAL)`,
    `--state-dir=${dir}`,
    '--listen-addr=127.0.0.1:{port}',
    '--debug-addr=127.0.0.1:{debugPort}',
    '--telemetry=disable',
    '--log-level=error',
  ] });
}

/**
 * Build FerretDB once into <root>/.cache/bin. `go install …/cmd/ferretdb@v1.24.2` produces a binary
 * that panics at start (the module zip lacks build/version/version.txt, which release builds generate),
 * so we fetch the same module through the Go module proxy, add that one file, apply FERRETDB_PATCHES,
 * and `go build` it.
 */
export function buildFerretDb(rootDir: string, onProgress: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string {
  const binDir = join(rootDir, '.cache', 'bin');
  const out = join(binDir, FERRETDB_BUILD);
  mkdirSync(binDir, { recursive: true });
  // Private source dir and temp output + rename: two processes building at once cannot corrupt each other.
  const src = mkdtempSync(join(rootDir, '.cache', 'ferretdb-src-'));
  const tmpOut = `${out}.${process.pid}.tmp`;
  const started = performance.now();
  const tick = setInterval(() => onProgress(`  … still building FerretDB (${Math.round((performance.now() - started) / 1000)} s)`), 15_000);
  try {
    onProgress(`Building FerretDB ${FERRETDB_VERSION} for the embedded database (one time; about 2 minutes on a fresh machine)…`);
    onProgress('  [1/3] downloading the Go module');
    const info = JSON.parse(execFileSync('go', ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], { encoding: 'utf8' })) as { Dir?: string; Error?: string };
    if (!info.Dir) throw new Error(info.Error ?? 'go mod download gave no directory');
    onProgress('  [2/3] preparing sources');
    cpSync(info.Dir, src, { recursive: true });
    makeWritable(src);
    writeFileSync(join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    applyPatches(src);
    onProgress('  [3/3] compiling (go build ./cmd/ferretdb)');
    const build = spawnSync('go', ['build', '-o', tmpOut, './cmd/ferretdb'], { cwd: src, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: { ...process.env, CGO_ENABLED: '0' } });
    if (build.status !== 0) throw new Error(build.stderr || `go build exited ${build.status}`);
    renameSync(tmpOut, out);
    onProgress(`  done in ${Math.round((performance.now() - started) / 1000)} s: ${out}`);
    return out;
  } catch (cause) {
    throw new FlywheelError('DB_BUILD_FAILED', `Building FerretDB failed: ${(cause as Error).message}`, {
      hint: 'Set MONGODB_URI to a running MongoDB, or put mongod or ferretdb on PATH.',
      cause,
    });
  } finally {
    clearInterval(tick);
    rmSync(src, { recursive: true, force: true });
  }
}

function applyPatches(src: string): void {
  for (const patch of FERRETDB_PATCHES) {
    const file = join(src, patch.file);
    const text = readFileSync(file, 'utf8');
    // Fail the build rather than ship an unpatched server that silently scans or hangs.
    if (text.split(patch.from).length !== 2) throw new Error(`${patch.file} no longer contains, exactly once, the text our patch replaces: ${JSON.stringify(patch.from)}`);
    writeFileSync(file, text.replace(patch.from, patch.to));
  }
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) makeWritable(path);
    else chmodSync(path, 0o644);
  }
}

async function startMemoryServer(dbPath: string): Promise<ResolvedDatabase | undefined> {
  let mod: { MongoMemoryServer: { create(o: object): Promise<{ getUri(): string; stop(): Promise<boolean> }> } };
  try {
    mod = (await import('mongodb-memory-server-core' as string)) as typeof mod;
  } catch {
    return undefined; // not installed
  }
  try {
    mkdirSync(dbPath, { recursive: true });
    const server = await mod.MongoMemoryServer.create({ instance: { dbPath, storageEngine: 'wiredTiger' } });
    return { kind: 'memory-server', uri: server.getUri().replace(/\/[^/]*$/, ''), stop: async () => { await server.stop(); } };
  } catch {
    return undefined; // typically: no internet to download mongod
  }
}
