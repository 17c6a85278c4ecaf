// One poll of one feed: fetch (conditional) -> parse -> normalise -> store, and its health
// recorded on the source. Never throws for a bad feed: the failure is recorded where
// `flywheel feeds list` shows it, stored items stay as they were, and other feeds go on.
import pLimit from 'p-limit';
import type { Store } from '../store/index.ts';
import type { FeedDefinition } from './define.ts';
import { FeedError } from './feed-error.ts';
import type { FeedFetcher } from './fetch.ts';
import { normaliseFeedItems, type ItemRejection, type NormalisedItem } from './normalise.ts';
import { parseFeed } from './parse.ts';
import { feedSource, recordNotModified, recordPollFailure, recordPollSuccess, upsertItems } from './queries.ts';

export interface PollDeps {
  store: Store;
  fetcher: FeedFetcher;
  now: () => Date;
}

export type PollResult =
  | { feed: string; status: 'updated'; created: number; updated: number; unchanged: number; rejected: ItemRejection[] }
  | { feed: string; status: 'not-modified' }
  | { feed: string; status: 'failed'; code: string; error: string; consecutiveFailures: number };

/** Fetch and normalise one feed without storing anything (`flywheel feeds check`). Throws FeedError. */
export async function readFeed(fetcher: FeedFetcher, url: string, traits: Pick<FeedDefinition, 'kind' | 'tags' | 'programs'> | undefined, now: Date): Promise<{ items: NormalisedItem[]; rejected: ItemRejection[]; finalUrl: string; etag?: string; lastModified?: string }> {
  const fetched = await fetcher.fetch(url);
  if (fetched.status !== 'ok') throw new FeedError('FEED_HTTP', `${url} answered 304 Not Modified to a request without validators`);
  const parsed = await parseFeed(fetched.body);
  const normalised = normaliseFeedItems(parsed.items, { ...traits, baseUrl: parsed.link || fetched.finalUrl }, now);
  return { ...normalised, finalUrl: fetched.finalUrl, etag: fetched.etag, lastModified: fetched.lastModified };
}

export async function pollFeed(deps: PollDeps, feed: FeedDefinition): Promise<PollResult> {
  const { store } = deps;
  const previous = await feedSource(store, feed.name);
  // validators only apply to the URL they came from: an edited feed URL fetches in full
  const validators = previous && previous.url === feed.url ? { etag: previous.etag ?? undefined, lastModified: previous.lastModified ?? undefined } : {};
  try {
    const fetched = await deps.fetcher.fetch(feed.url, validators);
    if (fetched.status === 'not-modified') {
      await recordNotModified(store, feed.name, feed.url, deps.now());
      return { feed: feed.name, status: 'not-modified' };
    }
    const parsed = await parseFeed(fetched.body);
    const now = deps.now();
    const { items, rejected } = normaliseFeedItems(parsed.items, { ...feed, baseUrl: parsed.link || fetched.finalUrl }, now);
    const counts = await upsertItems(store, feed.name, items, now);
    await recordPollSuccess(store, feed.name, {
      url: feed.url, at: now, etag: fetched.etag, lastModified: fetched.lastModified,
      created: counts.created, updated: counts.updated,
      rejected: rejected.map((r) => `item ${r.position} ${r.reason}`),
    });
    return { feed: feed.name, status: 'updated', ...counts, rejected };
  } catch (e) {
    const code = e instanceof FeedError ? e.code : 'FEED_STORE';
    const error = e instanceof Error ? e.message : String(e);
    // a database failure while recording is not the feed's fault, but is still reported here
    await recordPollFailure(store, feed.name, { url: feed.url, at: deps.now(), error: `${code}: ${error}`, previousFailures: previous?.consecutiveFailures ?? 0 });
    return { feed: feed.name, status: 'failed', code, error, consecutiveFailures: (previous?.consecutiveFailures ?? 0) + 1 };
  }
}

/** Poll several feeds, a few at a time; one slow or broken feed only costs its own timeout. */
export async function pollFeeds(deps: PollDeps, feeds: readonly FeedDefinition[], options: { concurrency?: number; onResult?: (r: PollResult) => void } = {}): Promise<PollResult[]> {
  const limit = pLimit(options.concurrency ?? 4);
  return Promise.all(feeds.map((feed) => limit(async () => {
    const result = await pollFeed(deps, feed);
    options.onResult?.(result);
    return result;
  })));
}

/** Feeds whose poll interval has passed since their last poll (or that were never polled). */
export function feedsDue(feeds: readonly FeedDefinition[], lastPolled: ReadonlyMap<string, Date | undefined>, now: Date, intervalMs: (f: FeedDefinition) => number): FeedDefinition[] {
  return feeds.filter((f) => {
    const last = lastPolled.get(f.name);
    return !last || now.getTime() - last.getTime() >= intervalMs(f);
  });
}
