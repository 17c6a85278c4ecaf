// The content stage: feeds (campaigns/feeds.ts) and Markdown items (content/) become stored,
// normalised, de-duplicated content items that newsletters and promotions read. Enters the
// pipeline from the side: the planner reads items through the named queries exported here.
export { defineFeed, FEED_KINDS, type FeedDefinition, type FeedKind } from './define.ts';
export { loadFeeds, pollIntervalMs, FEEDS_FILE } from './feeds-file.ts';
export { loadLocalItems, parseLocalItem } from './local-items.ts';
export { HttpFeedFetcher, DEFAULT_FETCH_OPTIONS, type FeedFetcher, type FetchOutcome, type HttpFetcherOptions } from './fetch.ts';
export { FeedError } from './feed-error.ts';
export { parseFeed } from './parse.ts';
export { normaliseFeedItems, canonicalLink, type NormalisedItem, type ItemRejection } from './normalise.ts';
export { pollFeed, pollFeeds, readFeed, type PollResult } from './poll.ts';
export { ContentPoller, type ContentPollerDeps } from './poller.ts';
export {
  upsertItems, recentItems, listItems, feedSources, feedSource, countItemsBySource, itemById, deliveredSince, deliveredTo, claimDeliveries, claimKey,
  type StoredItem, type DeliveryClaim, type FeedSourceState,
} from './queries.ts';
