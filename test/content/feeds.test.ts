// Polling real feeds over local HTTP into the real database: every format the programs publish,
// conditional GETs, limits, and what happens to a source (and its stored items) when it breaks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/db.ts';
import { FeedServer, rss2, standardFixtures } from './feed-fixtures.ts';
import { HttpFeedFetcher, pollFeed, pollFeeds, feedSource, listItems, itemById, readFeed, type FeedDefinition } from '../../engine/content/index.ts';
import type { Store } from '../../engine/store/index.ts';

const now = new Date('2026-05-06T12:00:00Z');
let store: Store;
let server: FeedServer;
let fixtures: ReturnType<typeof standardFixtures>;
const fetcher = new HttpFeedFetcher({ timeoutMs: 1500, maxBytes: 256 * 1024, maxRedirects: 3 });
const deps = () => ({ store, fetcher, now: () => now });
const feed = (name: string, path: string, extra: Partial<FeedDefinition> = {}): FeedDefinition => ({ name, url: server.url(path), kind: 'blog', ...extra });

beforeAll(async () => {
  store = await openTestStore('content_feeds');
  server = await FeedServer.start();
  fixtures = standardFixtures(server);
});
afterAll(async () => {
  await server?.close();
  await store?.close();
});

describe('reading the formats programs publish', () => {
  it('RSS 2.0: guid identity, canonical link without tracking or fragment, categories as tags, enclosure image, author', async () => {
    const { items } = await readFeed(fetcher, server.url('/rss2.xml'), { kind: 'blog', tags: ['news'] }, now);
    expect(items).toHaveLength(3);
    expect(items[0]).toMatchObject({
      guid: 'post-42', url: 'https://blog.fixture.test/posts/4-2', title: 'Release 4.2 is out', summary: 'Faster builds & caches.',
      tags: ['blog', 'news', 'releases', 'ci'], author: 'Ada', imageUrl: 'https://blog.fixture.test/img/42.png',
      publishedAt: new Date('2026-05-05T09:00:00Z'),
    });
  });

  it('content:encoded becomes the sanitised body; its first paragraph the summary and its image the picture', async () => {
    const { items } = await readFeed(fetcher, server.url('/rss2.xml'), undefined, now);
    const encoded = items.find((i) => i.guid === 'post-enc')!;
    expect(encoded.html).toContain('<em>full</em>');
    expect(encoded.summary).toBe('The full post, with an image Second paragraph.');
    expect(encoded.imageUrl).toBe('https://blog.fixture.test/img/enc.png');
    // no guid: the canonical link is the identity
    expect(items.find((i) => i.title === 'No guid, link only')!.guid).toBe('https://blog.fixture.test/posts/link-only');
  });

  it('Atom 1.0: entry id, alternate link, HTML summary as text, category terms', async () => {
    const { items } = await readFeed(fetcher, server.url('/atom.xml'), { kind: 'case-study' }, now);
    expect(items.map((i) => i.guid)).toEqual(['urn:story:initech', 'urn:story:hooli']);
    expect(items[0]).toMatchObject({ url: 'https://stories.fixture.test/initech', summary: 'Initech went from 3 to 30 deploys a day.', tags: ['case-study', 'scale'], author: 'Grace' });
  });

  it('RSS 1.0 (RDF): rdf:about identity and dc:date', async () => {
    const { items } = await readFeed(fetcher, server.url('/rdf.xml'), undefined, now);
    expect(items.map((i) => [i.guid, i.publishedAt?.toISOString()])).toEqual([
      ['https://releases.fixture.test/v1.0.0', '2026-04-30T08:00:00.000Z'],
      ['https://releases.fixture.test/v1.0.1', '2026-05-01T08:00:00.000Z'],
    ]);
  });

  it('ISO-8859-1 declared in the XML declaration is decoded, not mangled', async () => {
    const { items } = await readFeed(fetcher, server.url('/latin1.xml'), undefined, now);
    expect(items[0]!.title).toBe('Café in Zürich: naïve façades');
    expect(items[0]!.summary).toBe('Crème brûlée for everyone.');
  });

  it('scripts, event handlers, javascript: links, iframes and styles are sanitised away', async () => {
    const { items } = await readFeed(fetcher, server.url('/hostile.xml'), undefined, now);
    const [item] = items;
    expect(item!.title).toBe('Totally normal post');
    expect(item!.summary).toBe('Hello world');
    for (const bad of ['<script', 'onclick', 'onerror', 'onmouseover', 'javascript:', '<iframe', 'evil.fixture.test', '<style', 'display:none', 'alert(', 'document.cookie']) {
      expect(item!.html).not.toContain(bad);
      expect(item!.summary).not.toContain(bad);
    }
    expect(item!.html).toContain('<a href="https://ok.fixture.test/" rel="noopener">that</a>');
  });
});

describe('polling a source', () => {
  it('stores the items once, and a second poll with the same ETag costs a 304 with no body and changes nothing', async () => {
    server.set('/etag.xml', { etag: '"v1"', body: rss2([{ title: 'One', link: 'https://e.fixture.test/1', guid: 'e-1', date: 'Tue, 05 May 2026 09:00:00 GMT' }]) });
    const first = await pollFeed(deps(), feed('etag-feed', '/etag.xml'));
    expect(first).toMatchObject({ status: 'updated', created: 1 });
    const bytesAfterFirst = server.bytesSent.get('/etag.xml');
    const second = await pollFeed(deps(), feed('etag-feed', '/etag.xml'));
    expect(second.status).toBe('not-modified');
    expect(server.requests.get('/etag.xml')).toBe(2);
    expect(server.bytesSent.get('/etag.xml')).toBe(bytesAfterFirst);
    expect((await feedSource(store, 'etag-feed'))).toMatchObject({ etag: '"v1"', consecutiveFailures: 0, lastSuccessAt: now });
    expect(await itemById(store, 'e-1')).toMatchObject({ title: 'One', source: 'etag-feed' });
  });

  it('an item edited upstream is updated in place (same identity, same first-seen time)', async () => {
    server.set('/edit.xml', { body: rss2([{ title: 'Draft title', link: 'https://edit.fixture.test/a', guid: 'edit-a', date: 'Tue, 05 May 2026 09:00:00 GMT', summary: 'v1' }]) });
    await pollFeed(deps(), feed('edit-feed', '/edit.xml'));
    const before = await itemById(store, 'edit-a');
    server.set('/edit.xml', { body: rss2([{ title: 'Final title', link: 'https://edit.fixture.test/a', guid: 'edit-a', date: 'Tue, 05 May 2026 09:00:00 GMT', summary: 'v2' }]) });
    const later = new Date(now.getTime() + 3_600_000);
    const result = await pollFeed({ store, fetcher, now: () => later }, feed('edit-feed', '/edit.xml'));
    expect(result).toMatchObject({ status: 'updated', created: 0, updated: 1 });
    const after = await itemById(store, 'edit-a');
    expect(after).toMatchObject({ title: 'Final title', summary: 'v2', editedAt: later });
    expect(after!.createdAt).toEqual(before!.createdAt);
  });

  it('the same post in two feeds (same link, different guid) is one item', async () => {
    server.set('/a.xml', { body: rss2([{ title: 'Shared post', link: 'https://shared.fixture.test/post', guid: 'feed-a-1', date: 'Tue, 05 May 2026 09:00:00 GMT' }]) });
    server.set('/b.xml', { body: rss2([{ title: 'Shared post', link: 'https://shared.fixture.test/post?utm_campaign=b', guid: 'feed-b-99', date: 'Tue, 05 May 2026 09:00:00 GMT' }]) });
    await pollFeed(deps(), feed('feed-a', '/a.xml'));
    const b = await pollFeed(deps(), feed('feed-b', '/b.xml'));
    expect(b).toMatchObject({ status: 'updated', created: 0 });
    const stored = (await listItems(store)).filter((i) => i.url === 'https://shared.fixture.test/post');
    expect(stored.map((i) => i.guid)).toEqual(['feed-a-1']);
  });

  it('a malformed feed is recorded on the source (error, time, consecutive failures) and its stored items stay', async () => {
    const good = rss2([{ title: 'Kept', link: 'https://m.fixture.test/kept', guid: 'm-kept', date: 'Tue, 05 May 2026 09:00:00 GMT' }]);
    server.set('/flaky.xml', { body: good });
    await pollFeed(deps(), feed('flaky', '/flaky.xml'));
    server.set('/flaky.xml', { body: good.slice(0, good.length / 2) });
    const r1 = await pollFeed(deps(), feed('flaky', '/flaky.xml'));
    const r2 = await pollFeed(deps(), feed('flaky', '/flaky.xml'));
    expect(r1).toMatchObject({ status: 'failed', code: 'FEED_MALFORMED', consecutiveFailures: 1 });
    expect(r2).toMatchObject({ status: 'failed', consecutiveFailures: 2 });
    const state = await feedSource(store, 'flaky');
    expect(state).toMatchObject({ consecutiveFailures: 2, lastErrorAt: now, lastSuccessAt: now });
    expect(state!.lastError).toMatch(/^FEED_MALFORMED: malformed XML/);
    expect(await itemById(store, 'm-kept')).toMatchObject({ title: 'Kept' });
    // recovery resets the count
    server.set('/flaky.xml', { body: good });
    await pollFeed(deps(), feed('flaky', '/flaky.xml'));
    expect((await feedSource(store, 'flaky'))!.consecutiveFailures).toBe(0);
  });

  it('items without title or link, or with unreadable or future dates, are refused and listed; the rest are stored', async () => {
    server.set('/partial.xml', { body: rss2([
      { title: 'Fine', link: 'https://p.fixture.test/fine', guid: 'p-fine', date: 'Tue, 05 May 2026 09:00:00 GMT' },
      { link: 'https://p.fixture.test/untitled', guid: 'p-untitled' },
      { title: 'No link', guid: 'p-nolink' },
      { title: 'Bad date', link: 'https://p.fixture.test/bad', date: 'the fifth of May' },
      { title: 'From the future', link: 'https://p.fixture.test/future', date: 'Fri, 01 Jan 2027 00:00:00 GMT' },
    ]) });
    const r = await pollFeed(deps(), feed('partial', '/partial.xml'));
    expect(r).toMatchObject({ status: 'updated', created: 1 });
    expect((await feedSource(store, 'partial'))!.rejected).toEqual([
      'item 2 has no title',
      'item 3 "No link" has no http(s) link',
      'item 4 "Bad date" has an unreadable date "the fifth of May"',
      'item 5 "From the future" is dated in the future (2027-01-01T00:00:00.000Z)',
    ]);
  });

  it('a huge body is refused at the limit, streamed or declared', async () => {
    server.set('/huge-stream.xml', { streamBytes: 4 * 1024 * 1024 });
    server.set('/huge-declared.xml', { body: 'x'.repeat(300 * 1024) });
    const streamed = await pollFeed(deps(), feed('huge-stream', '/huge-stream.xml'));
    const declared = await pollFeed(deps(), feed('huge-declared', '/huge-declared.xml'));
    expect(streamed).toMatchObject({ status: 'failed', code: 'FEED_TOO_LARGE' });
    expect(declared).toMatchObject({ status: 'failed', code: 'FEED_TOO_LARGE' });
    expect((declared as { error: string }).error).toContain('not downloaded');
    // stopped reading near the limit rather than taking the whole 4 MiB
    expect(server.bytesSent.get('/huge-stream.xml')!).toBeLessThan(4 * 1024 * 1024);
  });

  it('redirects are followed up to the limit, then refused; a slow feed times out', async () => {
    server.set('/moved.xml', { status: 301, headers: { location: '/rdf.xml' } });
    expect(await pollFeed(deps(), feed('moved', '/moved.xml'))).toMatchObject({ status: 'updated', created: 2 });
    for (let i = 0; i < 5; i++) server.set(`/loop${i}`, { status: 302, headers: { location: `/loop${i + 1}` } });
    expect(await pollFeed(deps(), feed('loop', '/loop0'))).toMatchObject({ status: 'failed', code: 'FEED_REDIRECTS' });
    server.set('/slow.xml', { delayMs: 5000, body: rss2([]) });
    const started = performance.now();
    expect(await pollFeed(deps(), feed('slow', '/slow.xml'))).toMatchObject({ status: 'failed', code: 'FEED_TIMEOUT' });
    expect(performance.now() - started).toBeLessThan(4000);
  });

  it('one broken feed does not stop the others', async () => {
    const results = await pollFeeds(deps(), [
      feed('missing', '/nope.xml'), feed('not-a-feed', '/page.html'), feed('atom-ok', '/atom.xml', { kind: 'case-study' }),
    ]);
    server.set('/page.html', { contentType: 'text/html', body: '<!DOCTYPE html><html><body>hi</body></html>' });
    expect(results.map((r) => [r.feed, r.status])).toEqual([['missing', 'failed'], ['not-a-feed', 'failed'], ['atom-ok', 'updated']]);
    expect((await feedSource(store, 'missing'))!.lastError).toContain('HTTP 404');
    expect(await itemById(store, 'urn:story:initech')).toMatchObject({ source: 'atom-ok', tags: ['case-study', 'scale'] });
  });
});
