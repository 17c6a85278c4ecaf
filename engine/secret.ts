// The one secret every link is signed with. A fresh install must not be attackable by
// reading our code, so there is no default in the source: without FLYWHEEL_SECRET, a random
// secret is generated on first start into the data directory (owner-only) and reused after.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FlywheelError } from './errors.ts';

export const MIN_SECRET_LENGTH = 32;
export const SECRET_FILE = 'secret';

/** Values that have appeared in our source, docs or common examples: never accepted. */
const KNOWN_SECRETS = new Set([
  'flywheel-development-secret-change-me',
  'test-secret-0123456789',
  'render-test-secret-0123456789',
  'changeme', 'change-me', 'secret', 'password', 'flywheel', 'development',
]);

/** Why `secret` is unfit to sign links, or undefined if it is fine. */
export function secretProblem(secret: string): string | undefined {
  if (KNOWN_SECRETS.has(secret.trim().toLowerCase())) return 'is a published example value; generate your own (e.g. `openssl rand -base64 32`)';
  if (secret.length < MIN_SECRET_LENGTH) return `must be at least ${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -base64 32\`)`;
  if (new Set(secret).size < 10) return 'has too few distinct characters to be random; generate one (e.g. `openssl rand -base64 32`)';
  return undefined;
}

/**
 * The secret kept in `<dataDir>/secret`, created (mode 0600, exclusively, so two processes
 * starting at once agree on one) when missing. `announce` is told once, when it is created.
 */
export function loadOrCreateSecret(dataDir: string, announce: (line: string) => void): string {
  const path = join(dataDir, SECRET_FILE);
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true });
    const secret = randomBytes(32).toString('base64url');
    let fd: number | undefined;
    try {
      fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${secret}\n`);
      announce(`Generated a new link-signing secret in ${path} (readable by this user only). ` +
        'Keep it with the data directory: links in mail already sent stop working without it. Set FLYWHEEL_SECRET to use your own.');
      return secret;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // another process created it first: use theirs
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    throw new FlywheelError('SECRET_FILE_EXPOSED', `The secret file ${path} is readable by other users (mode ${mode.toString(8)}).`, {
      hint: `Run \`chmod 600 ${path}\`; if others may have read it, delete it (a new one is generated; links already sent stop working).`,
    });
  }
  const secret = readFileSync(path, 'utf8').trim();
  const problem = secretProblem(secret);
  if (problem) {
    throw new FlywheelError('SECRET_FILE_INVALID', `The secret in ${path} ${problem}.`, { hint: `Delete ${path} to have a new one generated, or set FLYWHEEL_SECRET.` });
  }
  return secret;
}
