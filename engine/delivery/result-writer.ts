// Buffers result inserts: one round trip per 100 results or 250 ms. A result not written means
// a message sent again by the next run, so a failed insert is retried (keyed, so a partly
// applied insert is harmless) before the run gives up.
import type { Logger } from 'pino';
import type { Store } from '../store/index.ts';
import { recordResults, type SendResultDoc } from '../ledger/index.ts';

const RESULT_FLUSH_EVERY = 100;
const RESULT_FLUSH_MS = 250;
const RESULT_WRITE_ATTEMPTS = 5;

export class ResultWriter {
  private buffer: SendResultDoc[] = [];
  private pending: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  constructor(private readonly store: Store, private readonly log: Logger) {}

  add(doc: SendResultDoc): void {
    this.buffer.push(doc);
    if (this.buffer.length >= RESULT_FLUSH_EVERY) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), RESULT_FLUSH_MS);
  }

  private flush(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    const docs = this.buffer;
    this.buffer = [];
    if (docs.length === 0) return;
    // Flushes are chained so they never overlap; a failure is surfaced by close().
    this.pending = this.pending.then(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const duplicates = await recordResults(this.store, docs);
          if (duplicates > 0) this.log.warn({ duplicates }, 'results already recorded by another run');
          return;
        } catch (err) {
          if (attempt >= RESULT_WRITE_ATTEMPTS) throw err;
          this.log.warn({ err, attempt }, 'result write failed; retrying');
          await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
        }
      }
    });
  }

  /** Write everything buffered; rejects if a write failed for good. */
  async close(): Promise<void> {
    this.flush();
    await this.pending;
  }
}
