// One-click unsubscribes are promises we make to the member and to their mail provider: once
// we answer 200, the unsubscribe must happen. Each is appended to a journal file in the data
// directory (on disk before we answer), applied to the database, and its file removed once
// applied. While the database is down they wait in the journal and are applied when it
// returns, or by the next process to start.
import type { Logger } from 'pino';
import type { RecipientRef } from './tokens.ts';
import { Spool } from './spool.ts';
import { unsubscribeMember, type TrackingDeps, type UnsubscribeVia } from './events.ts';

interface JournalEntry {
  ref: Omit<RecipientRef, 'sentAt'> & { sentAt: string };
  via: UnsubscribeVia;
  at: string;
}

export class UnsubscribeJournal {
  private readonly spool: Spool<JournalEntry>;
  private replaying: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;

  constructor(private readonly deps: TrackingDeps & { log: Logger }, dir: string, retryEveryMs = 2000) {
    this.spool = new Spool<JournalEntry>(dir, 'unsubscribes');
    this.timer = setInterval(() => { void this.replay(); }, retryEveryMs);
    this.timer.unref();
  }

  /**
   * Durably accept an unsubscribe, then (with `applyWithin`, i.e. while the database is up) try to
   * apply it now; 'kept' = it waits in the journal and is applied when the database is back.
   */
  async accept(ref: RecipientRef, via: UnsubscribeVia, applyWithin?: (p: Promise<unknown>) => Promise<unknown>): Promise<'applied' | 'kept'> {
    const at = this.deps.clock.now();
    const path = await this.spool.writeDurably({ ref: { ...ref, sentAt: ref.sentAt.toISOString() }, via, at: at.toISOString() });
    if (!applyWithin) return 'kept';
    try {
      await applyWithin(unsubscribeMember(this.deps, ref, via, at));
      this.spool.remove(path);
      return 'applied';
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, path }, 'unsubscribe kept in the journal; it is applied when the database is back');
      return 'kept';
    }
  }

  /** Apply what the journal holds (this process's leftovers and those of processes that are gone). */
  replay(): Promise<void> {
    this.replaying = this.replaying.then(async () => {
      for (const path of this.spool.pending()) {
        try {
          for (const e of this.spool.read(path)) {
            await unsubscribeMember(this.deps, { ...e.ref, sentAt: new Date(e.ref.sentAt) }, e.via, new Date(e.at));
          }
          this.spool.remove(path);
          this.deps.log.info({ path }, 'journalled unsubscribe applied');
        } catch {
          return; // database still unavailable: try again on the next pass
        }
      }
    });
    return this.replaying;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.replay();
    await this.spool.close();
  }
}
