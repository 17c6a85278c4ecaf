// Pure retry policy for the delivery stage: given the error a transport threw and
// which attempt just failed, say whether to try again and after how long.
// Randomness is injected so tests (and simulations) are deterministic.
import { PermanentError, TransientError } from '../errors.ts';

/** Returns a number in [0, 1), like Math.random. */
export type RandomSource = () => number;

export interface RetryPolicy {
  /** total attempts including the first; the attempt numbered maxAttempts is the last */
  maxAttempts: number;
  /** ceiling of the delay after the first failed attempt */
  baseDelayMs: number;
  /** the exponential ceiling never grows past this */
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 30_000,
  maxDelayMs: 60 * 60_000,
};

export type RetryDecision =
  | { action: 'retry'; delayMs: number; reason: string }
  | { action: 'give-up'; suppress: boolean; reason: string };

/**
 * Delay before the next attempt after `attempt` (1-based) failed.
 * Exponential ceiling `min(maxDelayMs, baseDelayMs * 2^(attempt-1))` with "equal jitter":
 * the delay lies in [ceiling/2, ceiling). Half the ceiling is kept so retries of one message never
 * bunch up near zero; the random half spreads a burst of failures (e.g. a 421 storm) apart.
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: RandomSource): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
  // 2^(attempt-1) overflows to Infinity for huge attempts; min() still yields maxDelayMs.
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return Math.floor(ceiling / 2 + r * (ceiling / 2));
}

/**
 * What to do after attempt number `attempt` (1-based) failed with `error`.
 * - PermanentError: give up; `suppress` is passed through (hard bounce -> suppress the address).
 * - TransientError: retry with backoff until maxAttempts; a provider's retryAfterMs is a floor.
 * - anything else: the transport did not classify it (a bug or an unexpected library error);
 *   treat as transient so a bounded number of retries happens and the failure is still recorded.
 */
export function decideRetry(error: unknown, attempt: number, policy: RetryPolicy, random: RandomSource): RetryDecision {
  if (error instanceof PermanentError) {
    return { action: 'give-up', suppress: error.suppress, reason: `permanent: ${error.message}` };
  }
  const label = error instanceof TransientError ? 'transient' : 'unclassified';
  const message = error instanceof Error ? error.message : String(error);
  if (attempt >= policy.maxAttempts) {
    return { action: 'give-up', suppress: false, reason: `${label} failure on attempt ${attempt} of ${policy.maxAttempts}: ${message}` };
  }
  const backoff = backoffDelayMs(attempt, policy, random);
  const floor = error instanceof TransientError ? (error.retryAfterMs ?? 0) : 0;
  return { action: 'retry', delayMs: Math.max(backoff, floor), reason: `${label}: ${message}` };
}
