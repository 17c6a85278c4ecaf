// Records a batch run's outcomes as result pages: one keyed insert per 100 outcomes or 250 ms,
// written one after another (`<batch>:<run>:<seq>`), so recording costs a document per page,
// not per message. An outcome not yet recorded is a message the next run sends again, so:
// - a failed write is retried (keyed, so a partly applied insert is harmless);
// - while a write is failing, or too many outcomes wait, `room()` says stop handing messages to
//   the transport: the in-flight window stays bounded even when the database is gone;
// - if the database stays unwritable, close() rejects with DatabaseUnavailableError.
import type { Types } from 'mongoose';
import type { Logger } from 'pino';
import type { Store } from '../store/index.ts';
import { withDeadline } from '../store/health.ts';
import { recordResultPage, resultPageId, type SendOutcome } from '../ledger/index.ts';
import { FlywheelError } from '../errors.ts';

export const RESULT_FLUSH_EVERY = 100;
const RESULT_FLUSH_MS = 250;
/** outcomes waiting to be recorded (buffered or being written) before sends wait for the writes */
const MAX_UNRECORDED = 2 * RESULT_FLUSH_EVERY;
/**
 * A write that has not answered by then counts as failing: sends pause while it is retried under
 * the same key (a late success is harmless). Short, so a dead database stops sends at once.
 */
const WRITE_DEADLINE_MS = 1500;
/** how long a failing write is retried before the run gives up on the database */
const GIVE_UP_AFTER_MS = 8000;

/** The database could not record what was sent: the run stopped sending and the command should stop. */
export class DatabaseUnavailableError extends FlywheelError {
  constructor(message: string, cause: unknown) {
    super('DB_UNAVAILABLE', message, { cause, hint: 'Nothing was lost: messages without a recorded outcome are sent again by the next run (with the same Message-ID). Once the database is back, run the same command again to resume.' });
  }
}

export interface ResultPageOf { batchId: Types.ObjectId; campaign: string; step: string; attempt: number; run: number }

interface Pending { outcome: SendOutcome; onRecorded?: () => void }

export class ResultWriter {
  private buffer: Pending[] = [];
  private writing = 0;
  private seq = 0;
  private pending: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  /** a write is failing right now (cleared when a retry succeeds) */
  private failing = false;
  private failure?: Error;
  private waiters: Array<() => void> = [];

  constructor(private readonly store: Store, private readonly log: Logger, private readonly page: ResultPageOf) {}

  /** Buffer an outcome; `onRecorded` runs once it is durably written (counters count from there). */
  add(outcome: SendOutcome, onRecorded?: () => void): void {
    this.buffer.push({ outcome, onRecorded });
    if (this.buffer.length >= RESULT_FLUSH_EVERY) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), RESULT_FLUSH_MS);
  }

  /** Outcomes buffered or being written. */
  get unrecorded(): number {
    return this.buffer.length + this.writing;
  }

  /** False once outcomes cannot be written (failing now, or given up): send nothing more. */
  get writable(): boolean {
    return !this.failing && !this.failure;
  }

  /**
   * Wait until another message may be handed to the transport: true when it may, false when
   * outcomes cannot be written (the caller stops sending and leaves the rest to the next run).
   */
  async room(): Promise<boolean> {
    while (this.writable && this.unrecorded >= MAX_UNRECORDED) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.writable;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private flush(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    const entries = this.buffer;
    this.buffer = [];
    if (entries.length === 0) return;
    this.writing += entries.length;
    // Pages are written one after another, never overlapping and never after one failed for good,
    // so a later run finds them by `_id` in seq order (a gap would hide the pages after it).
    this.pending = this.pending.then(async () => {
      try {
        const page = { _id: resultPageId(this.page.batchId, this.page.run, this.seq), ...this.page, seq: this.seq, results: entries.map((e) => e.outcome) };
        await this.write(page);
        this.seq++;
        for (const e of entries) e.onRecorded?.();
      } finally {
        this.writing -= entries.length;
        this.wake();
      }
    });
  }

  private async write(page: Parameters<typeof recordResultPage>[1]): Promise<void> {
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        await withDeadline(recordResultPage(this.store, page), WRITE_DEADLINE_MS);
        if (this.failing) this.log.warn({ page: page._id, attempt }, 'result page written after retrying; sending can go on');
        this.failing = false;
        return;
      } catch (err) {
        this.failing = true;
        this.wake();
        if (performance.now() - started >= GIVE_UP_AFTER_MS) {
          this.failure = new DatabaseUnavailableError(
            `The database stopped answering while sending: ${page.results.length} outcome(s) of batch ${String(this.page.batchId)} could not be recorded; sending stopped.`,
            err,
          );
          throw this.failure;
        }
        this.log.warn({ err, page: page._id, attempt }, 'result page write failed; sending paused while it is retried');
        await new Promise((r) => setTimeout(r, Math.min(1000, 100 * 2 ** attempt)));
      }
    }
  }

  /** Write everything buffered; rejects (DatabaseUnavailableError) if a page could not be written. */
  async close(): Promise<void> {
    this.flush();
    await this.pending;
  }
}
