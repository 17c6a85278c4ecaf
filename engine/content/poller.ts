// The content stage's running part: what the Agenda job and `flywheel feeds sync` call.
// Local Markdown items are re-read each run (cheap; unchanged items cost a hash compare);
// feeds are polled when their interval has passed. It runs as its own job, never inside the
// campaign tick, so a slow or dead feed cannot delay a newsletter: issues use what is stored.
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { InputIssue } from '../errors.ts';
import type { Store } from '../store/index.ts';
import type { FeedDefinition } from './define.ts';
import type { FeedFetcher } from './fetch.ts';
import { pollIntervalMs } from './feeds-file.ts';
import { loadLocalItems } from './local-items.ts';
import { feedsDue, pollFeeds, type PollResult } from './poll.ts';
import { feedSources, upsertItems, type UpsertCounts } from './queries.ts';

export interface ContentPollerDeps {
  store: Store;
  fetcher: FeedFetcher;
  clock: Clock;
  log: Logger;
  feeds: readonly FeedDefinition[];
  /** where Markdown items live (content/) and the root their paths are shown from */
  contentDir: string;
  rootDir: string;
  /** declared program names (campaigns/programs.ts) that items may name */
  programs?: readonly string[];
  concurrency?: number;
}

export interface LocalSyncReport extends UpsertCounts {
  issues: InputIssue[];
}

export class ContentPoller {
  constructor(private readonly deps: ContentPollerDeps) {}

  get feeds(): readonly FeedDefinition[] {
    return this.deps.feeds;
  }

  /** Store every valid Markdown item; files with problems are reported (and logged), the rest still count. */
  async syncLocal(): Promise<LocalSyncReport> {
    const { items, issues } = loadLocalItems(this.deps.contentDir, this.deps.rootDir, this.deps.programs);
    const files = new Map(items.map((i) => [i.item.guid, i.file]));
    const counts = await upsertItems(this.deps.store, 'local', items.map((i) => i.item), this.deps.clock.now(), files);
    if (issues.length) this.deps.log.warn({ issues }, 'some content files were not read; `flywheel validate` lists them');
    return { ...counts, issues };
  }

  /** Poll the given feeds now (default: all). */
  async poll(feeds: readonly FeedDefinition[] = this.deps.feeds, onResult?: (r: PollResult) => void): Promise<PollResult[]> {
    const results = await pollFeeds({ store: this.deps.store, fetcher: this.deps.fetcher, now: () => this.deps.clock.now() }, feeds, { concurrency: this.deps.concurrency, onResult });
    for (const r of results) {
      if (r.status === 'failed') this.deps.log.warn({ feed: r.feed, code: r.code, error: r.error, consecutiveFailures: r.consecutiveFailures }, 'feed poll failed');
      else if (r.status === 'updated' && (r.created || r.updated)) this.deps.log.info({ feed: r.feed, created: r.created, updated: r.updated, rejected: r.rejected.length }, 'feed polled');
    }
    return results;
  }

  /** What the recurring job does: local items, then the feeds that are due. */
  async runDue(): Promise<{ local: LocalSyncReport; polled: PollResult[] }> {
    const local = await this.syncLocal();
    const last = new Map((await feedSources(this.deps.store)).map((s) => [s._id, s.lastPolledAt ?? undefined]));
    const due = feedsDue(this.deps.feeds, last, this.deps.clock.now(), pollIntervalMs);
    return { local, polled: due.length ? await this.poll(due) : [] };
  }
}
