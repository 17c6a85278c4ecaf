// The only module that reads the wall clock. Everything else receives a Clock,
// so tests and the dry-run planner can run the engine on virtual time.

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = {
  now: () => new Date(),
};

/** A clock that only moves when told to: for tests and the planner's simulation. */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date | string | number) {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  set(to: Date | string | number): void {
    this.current = new Date(to).getTime();
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

/** Milliseconds on the monotonic clock, for measuring durations (benchmarks, throttles). */
export function monotonicMs(): number {
  return performance.now();
}
