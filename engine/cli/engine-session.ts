// What the commands that run the engine share: the engine built for one command and closed
// after it, progress lines on stderr, and a progress bar for sends.
import { SingleBar, Presets } from 'cli-progress';
import { FlywheelError } from '../errors.ts';
import type { Engine, EngineOptions } from '../main.ts';

export const progressLine = (line: string) => process.stderr.write(`${line}\n`);

/**
 * The embedded database is gone for good (its guard gave up restarting it): exit non-zero at once,
 * naming it, so that a service manager restarts the command (and with it the database).
 */
function exitOnDatabaseLost(message: string): void {
  process.stderr.write(`error: ${message}\nhint: nothing recorded is lost; restart the command (a service manager does this for you).\n`);
  process.exit(2);
}

export async function withEngine<T>(options: EngineOptions, fn: (engine: Engine) => Promise<T>): Promise<T> {
  // the whole engine is loaded only by the commands that run it (not for `--help` or `members import`)
  const [{ loadConfig }, { createEngine }] = await Promise.all([import('../config.ts'), import('../main.ts')]);
  const engine = await createEngine(loadConfig(), { onProgress: progressLine, onDatabaseLost: exitOnDatabaseLost, ...options });
  let databaseDown = false;
  try {
    return await fn(engine);
  } catch (e) {
    if (!databaseGone(e)) throw e;
    databaseDown = true;
    throw new FlywheelError('DB_UNAVAILABLE', `${capitalise(engine.databaseDescription)} stopped answering, so this command stopped${(e as FlywheelError).code === 'DB_UNAVAILABLE' ? ' sending: no message is handed to the transport once its outcome cannot be recorded' : ''}.`, {
      hint: 'Nothing is lost: messages without a recorded outcome go out again, with the same Message-ID, when the send resumes. Once the database is back (an embedded one starts with the next command), run the same command again to resume.',
      cause: e,
    });
  } finally {
    await engine.close({ databaseDown });
    // The driver and the job queue keep retrying a database that is gone; once the message is
    // printed there is nothing left to wait for.
    if (databaseDown) setTimeout(() => process.exit(process.exitCode ?? 2), 500).unref();
  }
}

/** Errors that mean the database went away (as opposed to a bad request or a bug). */
function databaseGone(e: unknown): boolean {
  const err = e as { code?: unknown; name?: unknown } | null;
  return err?.code === 'DB_UNAVAILABLE' || (typeof err?.name === 'string' && /^Mongo(ServerSelection|Network|NetworkTimeout|TopologyClosed)Error$/.test(err.name));
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** A progress bar for `total` messages on a terminal; none when piped. */
export function sendProgressBar(total: number): SingleBar | undefined {
  if (total === 0 || !process.stderr.isTTY) return undefined;
  const b = new SingleBar({ format: 'sending |{bar}| {value}/{total} messages | {eta_formatted} left', stream: process.stderr }, Presets.shades_classic);
  b.start(total, 0);
  return b;
}
