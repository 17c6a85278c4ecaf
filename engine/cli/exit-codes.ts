// Exit codes scripts can trust: 0 success, 1 the user's input needs fixing (the message
// says where), 2 anything else (database down, a bug). Every command action runs inside this.
import { InvalidInputError } from '../errors.ts';

/** Run a command action: InvalidInputError -> message + hint, exit 1; anything else -> exit 2. */
export function withExitCodes<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (e) {
      if (e instanceof InvalidInputError) {
        process.stderr.write(`${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
        process.exitCode = 1;
      } else {
        const err = e as Error & { hint?: string };
        process.stderr.write(`error: ${err.message ?? String(e)}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
        process.exitCode = 2;
      }
    }
  };
}
