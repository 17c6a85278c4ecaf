// Sending pace for the delivery stage: a messages-per-second limit shared by all
// concurrent sends in this process, and a daily cap shared by all workers through
// a database counter (the counter's storage lives behind DailyCapStore).
import { monotonicMs } from '../clock.ts';
import type { OutgoingMessage, SendResult, Transport } from './transport.ts';

// ---------------------------------------------------------------------------
// Per-process rate

export interface SendRateLimiter {
  /** messages per second this limiter allows; 0 = unlimited */
  readonly messagesPerSecond: number;
  /** Resolves when one more message may start. */
  acquire(): Promise<void>;
}

/**
 * A limiter that spaces message starts at least 1000/rate ms apart. One slot per interval rather
 * than a burst bucket: SMTP servers and SendGrid both prefer a steady pace, and it makes
 * fractional rates (0.5/s) exact. Each start is timed from the previous actual start, when its
 * wait ends: p-throttle fixes every delay when it is asked, so after an event-loop stall its
 * queued timers fire together, a burst of several messages at once. 0 means no limit.
 */
export function createSendRateLimiter(messagesPerSecond: number): SendRateLimiter {
  if (!(messagesPerSecond >= 0) || !Number.isFinite(messagesPerSecond)) {
    throw new RangeError(`messagesPerSecond must be a finite number >= 0, got ${messagesPerSecond}`);
  }
  if (messagesPerSecond === 0) return { messagesPerSecond, acquire: async () => {} };
  const intervalMs = 1000 / messagesPerSecond;
  let nextStartAt = 0;
  let queue: Promise<void> = Promise.resolve();
  const acquire = (): Promise<void> => {
    const turn = queue.then(async () => {
      const wait = nextStartAt - monotonicMs();
      if (wait > 0) await new Promise((r) => setTimeout(r, Math.ceil(wait)));
      nextStartAt = monotonicMs() + intervalMs;
    });
    queue = turn;
    return turn;
  };
  return { messagesPerSecond, acquire };
}

/** A transport whose sends wait for the limiter first. */
export function throttleTransport(transport: Transport, limiter: SendRateLimiter): Transport {
  if (limiter.messagesPerSecond === 0) return transport;
  return {
    name: transport.name,
    async send(message: OutgoingMessage): Promise<SendResult> {
      await limiter.acquire();
      return transport.send(message);
    },
    close: () => transport.close(),
  };
}

// ---------------------------------------------------------------------------
// Daily cap across workers

/**
 * Storage for the per-day counter. `reserve` atomically adds up to `n` to the counter of `day`
 * without passing `cap`, and returns how many it added (0..n). Implementations must be safe
 * under concurrent workers without transactions (e.g. a guarded $inc), see README.
 */
export interface DailyCapStore {
  reserve(day: string, n: number, cap: number): Promise<number>;
}

/** The counter key for `now`: the UTC calendar day, "YYYY-MM-DD". */
export function utcDayKey(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** The instant the next UTC day starts, when an exhausted cap refills. */
export function nextUtcDayStart(now: Date): Date {
  const d = new Date(now.getTime());
  d.setUTCHours(24, 0, 0, 0);
  return d;
}

/** Pure: how many of `requested` fit when `used` of `cap` are taken. */
export function grantWithinCap(used: number, requested: number, cap: number): number {
  return Math.max(0, Math.min(requested, cap - used));
}

export type DailyQuota =
  | { granted: number; day: string; exhausted: false }
  | { granted: number; day: string; exhausted: true; refillsAt: Date };

/**
 * Reserve up to `n` sends from today's cap. `cap` 0 means no cap (everything granted, store untouched).
 * When fewer than `n` are granted the cap is exhausted until `refillsAt`; the caller defers the rest.
 */
export async function reserveDailyQuota(store: DailyCapStore, cap: number, n: number, now: Date): Promise<DailyQuota> {
  const day = utcDayKey(now);
  if (cap === 0) return { granted: n, day, exhausted: false };
  const granted = n === 0 ? 0 : await store.reserve(day, n, cap);
  return granted < n ? { granted, day, exhausted: true, refillsAt: nextUtcDayStart(now) } : { granted, day, exhausted: false };
}
