// Body text -> rss-parser's feed object (RSS 0.9/1.0 RDF/2.0 and Atom 1.0). The few fields
// rss-parser leaves out by default (Atom categories, media images) are asked for here.
import Parser from 'rss-parser';
import { FeedError } from './feed-error.ts';

export interface ParsedFeed {
  title?: string;
  link?: string;
  items: Record<string, unknown>[];
}

const parser = new Parser({
  customFields: {
    item: [
      ['category', 'atomCategories', { keepArray: true }],
      ['media:content', 'mediaContent', { keepArray: true }],
      ['media:thumbnail', 'mediaThumbnail', { keepArray: true }],
      ['dc:date', 'date'],
      ['published', 'published'],
      ['updated', 'updated'],
    ] as unknown as string[],
  },
});

export async function parseFeed(body: string): Promise<ParsedFeed> {
  const start = body.replace(/^\uFEFF/, '').trimStart().slice(0, 200).toLowerCase();
  if (!start.startsWith('<')) throw new FeedError('FEED_NOT_A_FEED', 'not a feed: the body is not XML');
  if (start.startsWith('<!doctype html') || start.startsWith('<html')) throw new FeedError('FEED_NOT_A_FEED', 'not a feed: an HTML page (look for its <link rel="alternate"> feed URL)');
  let feed: { title?: string; link?: string; items?: unknown[] };
  try {
    feed = await parser.parseString(body);
  } catch (e) {
    const message = (e as Error).message;
    if (/not recognized as RSS/i.test(message)) throw new FeedError('FEED_NOT_A_FEED', 'not a feed: XML, but neither RSS nor Atom');
    if (e instanceof RangeError) throw new FeedError('FEED_MALFORMED', `malformed feed: ${message}`);
    throw new FeedError('FEED_MALFORMED', `malformed XML: ${message.replace(/\s+/g, ' ').trim()}`, { cause: e });
  }
  return { title: feed.title, link: feed.link, items: (feed.items ?? []) as Record<string, unknown>[] };
}
