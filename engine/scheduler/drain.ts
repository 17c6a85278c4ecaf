// An engine operation for one-shot commands (`flywheel send`, `run --once`, the demo): run the
// queued batches through Agenda in this process until nothing due is left, or say clearly why not.
import { FlywheelError } from '../errors.ts';
import type { Scheduler } from './index.ts';
import { withDeadline } from '../store/health.ts';

export interface DrainParts {
  scheduler: Scheduler;
  /** the engine's counter buffer: flushed once the queue is empty */
  counters: { flush(): Promise<void> };
}

/** Run queued batches through Agenda in this process until nothing due is left. */
export async function drain(engine: DrainParts, options: { pollMs?: number; stallMs?: number; failureGraceMs?: number } = {}): Promise<void> {
  const { scheduler } = engine;
  await scheduler.start({ recurring: false, onlyBatches: true });
  const poll = options.pollMs ?? 200;
  const stallMs = options.stallMs ?? 5 * 60_000;
  const failureGraceMs = options.failureGraceMs ?? 10_000;
  let lastSettled = scheduler.progress.settled;
  let lastProgressAt = performance.now();
  try {
    // Wait until no batch is due and unfinished, twice in a row (a retry batch may just have been queued).
    let quiet = 0;
    while (quiet < 2) {
      await new Promise((r) => setTimeout(r, poll));
      // Outcomes can no longer be recorded: stop now instead of waiting on a database that is gone.
      if (scheduler.progress.fatal) throw scheduler.progress.fatal;
      // Ask the database only while this process runs no batch: the query reads every batch
      // document, and asking it several times a second mid-send takes CPU from the send itself.
      if (scheduler.progress.running > 0) {
        quiet = 0;
      } else {
        quiet = (await scheduler.unfinishedDue()) === 0 ? quiet + 1 : 0;
      }
      if (scheduler.progress.settled !== lastSettled) {
        lastSettled = scheduler.progress.settled;
        lastProgressAt = performance.now();
      }
      const idleMs = performance.now() - lastProgressAt;
      // A failed job leaves its batch unfinished: say so instead of waiting forever.
      if (quiet === 0 && ((scheduler.progress.failures.length > 0 && idleMs > failureGraceMs) || idleMs > stallMs)) {
        const unfinished = await scheduler.unfinishedDue();
        throw new FlywheelError(
          'SEND_STALLED',
          `${unfinished} batch(es) could not be finished${scheduler.progress.failures.length ? `: ${scheduler.progress.failures.slice(-3).join('; ')}` : ' (no progress)'}.`,
          { hint: 'Nothing is lost: the batches stay queued and a worker (`flywheel worker`) retries them. Fix the cause shown above first.' },
        );
      }
    }
  } finally {
    if (scheduler.progress.fatal) {
      // The database is gone: do not wait out the driver's timeouts for writes that cannot land.
      await withDeadline(scheduler.stop(), 1000).catch(() => {});
    } else {
      await scheduler.stop();
      await engine.counters.flush();
    }
  }
}

