// One database server for the whole test run (the same resolution the CLI uses:
// MONGODB_URI, else mongod, else FerretDB). Each test file uses its own database name.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { resolveDatabase, ROOT_DIR, type ResolvedDatabase } from '../../engine/store/index.ts';

let db: ResolvedDatabase | undefined;
// One directory per run, so two test runs on one machine never share (or wipe) a database.
const dataDir = join(ROOT_DIR, '.data', `test-${process.pid}`);

export async function setup(project: TestProject) {
  rmSync(dataDir, { recursive: true, force: true });
  db = await resolveDatabase({ mongodbUri: process.env.MONGODB_URI, dataDir, rootDir: ROOT_DIR });
  project.provide('mongoUri', db.uri);
  project.provide('dbKind', db.kind);
}

export async function teardown() {
  await db?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
    dbKind: string;
  }
}
