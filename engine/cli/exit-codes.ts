// Exit codes scripts can trust: 0 success, 1 the user's input needs fixing (the message
// says where), 2 anything else (database down, a bug). Every command action runs inside this.
import { FlywheelError, InvalidInputError } from '../errors.ts';

/** Error codes that mean "what you asked for does not exist or does not fit": the user's to fix. */
const USER_ERROR_CODES = new Set([
  'USAGE', 'PREVIEW_UNKNOWN_CAMPAIGN', 'PREVIEW_UNKNOWN_STEP', 'PREVIEW_MEMBER_NOT_FOUND',
  'PREVIEW_NOT_IN_AUDIENCE', 'PREVIEW_STEP_NOT_PLANNED', 'TIMEZONE_INVALID', 'SEND_WINDOW_INVALID',
  'APPLICATION_NOT_FOUND', 'APPLICATION_ALREADY_DECIDED', 'APPLICATION_UNKNOWN_PROGRAM',
]);

export function exitCodeFor(e: unknown): 1 | 2 {
  return e instanceof InvalidInputError || (e instanceof FlywheelError && USER_ERROR_CODES.has(e.code)) ? 1 : 2;
}

/** Run a command action: print the message and hint (never a stack trace) and set the exit code. */
export function withExitCodes<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (e) {
      const err = e as Error & { hint?: string };
      const code = exitCodeFor(e);
      process.stderr.write(`${code === 1 ? '' : 'error: '}${err.message ?? String(e)}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
      process.exitCode = code;
    }
  };
}
