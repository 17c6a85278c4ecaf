import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../engine/errors.ts';
import { backoffDelayMs, decideRetry, defaultRetryPolicy, type RetryPolicy } from '../../engine/delivery/index.ts';

const policy: RetryPolicy = { maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 60_000 };
const fixed = (r: number) => () => r;

/** A small deterministic PRNG (mulberry32) so "random" samples are repeatable. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('backoffDelayMs', () => {
  it.each([
    [1, 1000], [2, 2000], [3, 4000], [4, 8000], [5, 16000], [6, 32000], [7, 60000], [20, 60000], [2000, 60000],
  ])('attempt %i has ceiling %i: delay lies in [ceiling/2, ceiling)', (attempt, ceiling) => {
    expect(backoffDelayMs(attempt, policy, fixed(0))).toBe(ceiling / 2);
    const top = backoffDelayMs(attempt, policy, fixed(0.999999999));
    expect(top).toBeLessThan(ceiling);
    expect(top).toBeGreaterThanOrEqual(ceiling * 0.99);
  });

  it('jittered delays stay within bounds over many draws and actually spread out', () => {
    const random = seeded(42);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const samples = Array.from({ length: 500 }, () => backoffDelayMs(attempt, policy, random));
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(ceiling / 2);
      expect(Math.max(...samples)).toBeLessThan(ceiling);
      expect(new Set(samples).size).toBeGreaterThan(50);
    }
  });

  it('a misbehaving random source (1 or more, negative) cannot push the delay outside its bounds', () => {
    expect(backoffDelayMs(1, policy, fixed(1))).toBeLessThan(1000);
    expect(backoffDelayMs(1, policy, fixed(-3))).toBe(500);
  });

  it('rejects attempt numbers below 1 or fractional', () => {
    expect(() => backoffDelayMs(0, policy, fixed(0))).toThrow(RangeError);
    expect(() => backoffDelayMs(1.5, policy, fixed(0))).toThrow(RangeError);
  });

  it('the default policy waits at least 15 s after the first failure and at most an hour', () => {
    expect(backoffDelayMs(1, defaultRetryPolicy, fixed(0))).toBe(15_000);
    expect(backoffDelayMs(30, defaultRetryPolicy, fixed(0.99))).toBeLessThan(3_600_000);
  });
});

describe('decideRetry', () => {
  it('a hard bounce gives up at once and asks for suppression', () => {
    expect(decideRetry(new PermanentError('550 unknown user', { suppress: true }), 1, policy, fixed(0))).toMatchObject({ action: 'give-up', suppress: true });
  });

  it('a policy rejection gives up without suppressing', () => {
    expect(decideRetry(new PermanentError('554 spam'), 1, policy, fixed(0))).toMatchObject({ action: 'give-up', suppress: false });
  });

  it('a transient failure is retried with backoff until the last attempt', () => {
    for (let attempt = 1; attempt < policy.maxAttempts; attempt++) {
      const d = decideRetry(new TransientError('451'), attempt, policy, fixed(0));
      expect(d).toEqual({ action: 'retry', delayMs: backoffDelayMs(attempt, policy, fixed(0)), reason: 'transient: 451' });
    }
    expect(decideRetry(new TransientError('451'), policy.maxAttempts, policy, fixed(0))).toMatchObject({ action: 'give-up', suppress: false });
  });

  it("a provider's Retry-After longer than the backoff is honoured", () => {
    expect(decideRetry(new TransientError('429', { retryAfterMs: 90_000 }), 1, policy, fixed(0))).toMatchObject({ action: 'retry', delayMs: 90_000 });
  });

  it("a provider's Retry-After shorter than the backoff does not shorten it", () => {
    expect(decideRetry(new TransientError('429', { retryAfterMs: 10 }), 3, policy, fixed(0))).toMatchObject({ action: 'retry', delayMs: 2000 });
  });

  it('an unclassified error is retried a bounded number of times, then given up', () => {
    expect(decideRetry(new TypeError('oops'), 1, policy, fixed(0))).toMatchObject({ action: 'retry', reason: 'unclassified: oops' });
    expect(decideRetry('string thrown', 6, policy, fixed(0))).toMatchObject({ action: 'give-up' });
  });
});
