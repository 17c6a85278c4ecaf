// Is the database answering? One cheap ping at a time, on an interval, with a short deadline,
// so request handlers can fail fast (503) instead of waiting out the driver's 15 s server
// selection, and /healthz tells a load balancer the truth.
import type { Logger } from 'pino';
import type { Store } from './connection.ts';

export class DatabaseHealth {
  private up = true;
  private since = 0;
  private inFlight = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly store: Store, private readonly log: Logger, private readonly options: { everyMs?: number; deadlineMs?: number } = {}) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => { void this.check(); }, this.options.everyMs ?? 1000);
    this.timer.unref();
    void this.check();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  get isUp(): boolean { return this.up; }

  /** Milliseconds since the state last changed (performance clock). */
  get forMs(): number { return performance.now() - this.since; }

  async check(): Promise<boolean> {
    if (this.inFlight) return this.up;
    this.inFlight = true;
    try {
      await withDeadline(this.store.db.command({ ping: 1 }), this.options.deadlineMs ?? 2500);
      this.set(true);
    } catch (err) {
      this.set(false, err);
    } finally {
      this.inFlight = false;
    }
    return this.up;
  }

  private set(up: boolean, err?: unknown): void {
    if (up === this.up) return;
    this.up = up;
    this.since = performance.now();
    if (up) this.log.info('database reachable again');
    else this.log.error({ err: (err as Error)?.message }, 'database unreachable: database routes answer 503, tracking hits are buffered, unsubscribes journalled');
  }
}

export class DeadlineError extends Error {
  constructor(ms: number) { super(`no answer within ${ms} ms`); this.name = 'DeadlineError'; }
}

/** Rejects with DeadlineError if `p` has not settled within `ms`. */
export function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new DeadlineError(ms)), ms); }),
  ]).finally(() => clearTimeout(timer));
}
