// What the commands that run the engine share: the engine built for one command and closed
// after it, progress lines on stderr, and a progress bar for sends.
import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '../config.ts';
import { createEngine, type Engine, type EngineOptions } from '../main.ts';

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
  const engine = await createEngine(loadConfig(), { onProgress: progressLine, onDatabaseLost: exitOnDatabaseLost, ...options });
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

/** A progress bar for `total` messages on a terminal; none when piped. */
export function sendProgressBar(total: number): SingleBar | undefined {
  if (total === 0 || !process.stderr.isTTY) return undefined;
  const b = new SingleBar({ format: 'sending |{bar}| {value}/{total} messages | {eta_formatted} left', stream: process.stderr }, Presets.shades_classic);
  b.start(total, 0);
  return b;
}
