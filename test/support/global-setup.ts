// Everything the test run needs, provisioned before the first test so that `npm test` alone
// passes on a fresh machine: Chromium for the browser tests (installed with apt when we can,
// else the run stops naming the command), and one database server for the whole run (the same
// resolution the CLI uses: MONGODB_URI, else mongod, else FerretDB, built once when missing).
// Each test file uses its own database name on that server.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { resolveDatabase, ROOT_DIR, type ResolvedDatabase } from '../../engine/store/index.ts';
import { lockPathFor } from '../../engine/store/shared-server.ts';
import { ensureChromium } from './chromium.ts';

// Vitest calls setup once per project (root, main, reliability), each with its own copy of this
// module: the one server they share lives on globalThis (one process), started by the first.
interface Shared { db?: Promise<ResolvedDatabase>; users: number }
const shared = ((globalThis as { __flywheelTestDatabase?: Shared }).__flywheelTestDatabase ??= { users: 0 });
// One directory per run, so two test runs on one machine never share (or wipe) a database.
const dataDir = join(ROOT_DIR, '.data', `test-${process.pid}`);

async function startDatabase(): Promise<ResolvedDatabase> {
  ensureChromium();
  rmSync(dataDir, { recursive: true, force: true });
  return resolveDatabase({
    mongodbUri: process.env.MONGODB_URI,
    dataDir,
    rootDir: ROOT_DIR,
    onProgress: (line) => process.stderr.write(`${line}\n`),
  });
}

export async function setup(project: TestProject) {
  shared.db ??= startDatabase();
  shared.users++;
  const resolved = await shared.db;
  project.provide('mongoUri', resolved.uri);
  project.provide('dbKind', resolved.kind);
}

export async function teardown() {
  if (--shared.users > 0) return;
  const resolved = await shared.db?.catch(() => undefined);
  shared.db = undefined;
  await resolved?.stop();
  // the shared server stops shortly after its last user leaves: let it finish before removing its files
  const lock = lockPathFor(join(dataDir, 'ferretdb'));
  for (let i = 0; i < 100 && existsSync(lock); i++) await new Promise((r) => setTimeout(r, 100));
  rmSync(dataDir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
    dbKind: string;
  }
}
