// What `campaigns/feeds.ts` calls. A feed is a source of content items polled on a schedule;
// `defineFeed` only returns its argument (type checking); the loader validates at runtime.
import type { Duration, Program } from '../campaigns/index.ts';

export const FEED_KINDS = ['blog', 'case-study', 'release', 'event'] as const;
export type FeedKind = (typeof FEED_KINDS)[number];

export interface FeedDefinition {
  /** stable id: the source's health and its items are recorded under it */
  name: string;
  url: string;
  /** what the feed publishes; also given to every item as a tag (so `tags: ['case-study']` campaigns find them) */
  kind: FeedKind;
  /** extra tags for every item of this feed */
  tags?: string[];
  /** programs whose members may get these items; none = every program */
  programs?: Program[];
  /** how often to poll (default 1 hour) */
  pollEvery?: Duration;
}

/** Declare a feed; `export const blog = defineFeed({...})` from campaigns/feeds.ts. */
export function defineFeed(def: FeedDefinition): FeedDefinition {
  return def;
}
