// One mongoose connection per process (or per test file), shared by the models,
// Agenda's backend and anything needing the raw driver `Db`.
import mongoose from 'mongoose';
import type { Db } from 'mongodb';
import { FlywheelError } from '../errors.ts';
import { bindModels, type Models } from './models.ts';

export interface Store {
  readonly conn: mongoose.Connection;
  readonly db: Db;
  readonly models: Models;
  close(): Promise<void>;
}

/** Connect to `uri` using database `dbName`, build indexes, and bind the models. */
export async function openStore(uri: string, dbName: string): Promise<Store> {
  let conn: mongoose.Connection;
  try {
    conn = await mongoose
      .createConnection(uri, { dbName, serverSelectionTimeoutMS: 15_000, autoIndex: false })
      .asPromise();
  } catch (cause) {
    throw new FlywheelError('DB_UNREACHABLE', `Could not connect to the database at ${redact(uri)}: ${(cause as Error).message}`, {
      hint: 'Check MONGODB_URI, or unset it to use the embedded database.',
      cause,
    });
  }
  const models = bindModels(conn);
  // Unique keys are what make sends, events and imports idempotent: build them before any write.
  await Promise.all(Object.values(models).map((m) => m.createIndexes()));
  return {
    conn,
    db: conn.db as unknown as Db,
    models,
    close: () => conn.close(),
  };
}

export function redact(uri: string): string {
  return uri.replace(/\/\/([^@/]*)@/, '//***@');
}
