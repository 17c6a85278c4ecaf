// Fixture feeds built by small factories (RSS 2.0, Atom 1.0, RSS 1.0/RDF) and a local HTTP
// server that serves them the way publishers do: ETags and 304s, redirects, slow answers,
// other character sets, bodies too large to accept. Requests are counted per path.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FixtureItem {
  title?: string;
  link?: string;
  guid?: string;
  date?: string;
  summary?: string;
  encoded?: string;
  categories?: string[];
  author?: string;
  image?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const opt = (tag: string, v: string | undefined, raw = false) => (v === undefined ? '' : `<${tag}>${raw ? v : esc(v)}</${tag}>`);

export function rss2(items: FixtureItem[], options: { encoding?: string; title?: string } = {}): string {
  return `<?xml version="1.0" encoding="${options.encoding ?? 'UTF-8'}"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>${esc(options.title ?? 'Fixture blog')}</title><link>https://blog.fixture.test/</link><description>fixture</description>
${items.map((i) => `<item>${opt('title', i.title)}${opt('link', i.link)}${i.guid ? `<guid isPermaLink="false">${esc(i.guid)}</guid>` : ''}${opt('pubDate', i.date)}${opt('description', i.summary)}${i.encoded === undefined ? '' : `<content:encoded><![CDATA[${i.encoded}]]></content:encoded>`}${(i.categories ?? []).map((c) => `<category>${esc(c)}</category>`).join('')}${opt('dc:creator', i.author)}${i.image ? `<enclosure url="${esc(i.image)}" type="image/png" length="1"/>` : ''}</item>`).join('\n')}
</channel></rss>`;
}

export function atom(entries: FixtureItem[]): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Fixture stories</title><link href="https://stories.fixture.test/"/><id>urn:fixture:stories</id><updated>2026-05-01T00:00:00Z</updated>
${entries.map((e) => `<entry>${opt('title', e.title)}${e.link ? `<link rel="alternate" href="${esc(e.link)}"/>` : ''}${opt('id', e.guid)}${opt('published', e.date)}${opt('updated', e.date)}${e.summary === undefined ? '' : `<summary type="html">${esc(e.summary)}</summary>`}${(e.categories ?? []).map((c) => `<category term="${esc(c)}"/>`).join('')}${e.author ? `<author><name>${esc(e.author)}</name></author>` : ''}</entry>`).join('\n')}
</feed>`;
}

export function rdf(items: FixtureItem[]): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://releases.fixture.test/"><title>Fixture releases</title><link>https://releases.fixture.test/</link><description>fixture</description></channel>
${items.map((i) => `<item rdf:about="${esc(i.link ?? '')}">${opt('title', i.title)}${opt('link', i.link)}${opt('description', i.summary)}${opt('dc:date', i.date)}</item>`).join('\n')}
</rdf:RDF>`;
}

export interface Route {
  body?: string | Buffer;
  status?: number;
  contentType?: string;
  etag?: string;
  headers?: Record<string, string>;
  /** answer only after this long */
  delayMs?: number;
  /** stream this many bytes of filler inside a feed, without a Content-Length */
  streamBytes?: number;
}

export class FeedServer {
  readonly requests = new Map<string, number>();
  /** body bytes actually written per path (a 304 writes none) */
  readonly bytesSent = new Map<string, number>();
  private routes = new Map<string, Route>();
  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<FeedServer> {
    const server = http.createServer();
    const fs = new FeedServer(server);
    server.on('request', (req, res) => fs.handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return fs;
  }

  get base(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  set(path: string, route: Route): this {
    this.routes.set(path, route);
    return this;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = req.url ?? '/';
    this.requests.set(path, (this.requests.get(path) ?? 0) + 1);
    const route = this.routes.get(path);
    const sent = (n: number) => this.bytesSent.set(path, (this.bytesSent.get(path) ?? 0) + n);
    const reply = () => {
      if (!route) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      if (route.etag && req.headers['if-none-match'] === route.etag) {
        res.writeHead(304, { etag: route.etag }).end();
        return;
      }
      const headers: Record<string, string> = { 'content-type': route.contentType ?? 'application/rss+xml', ...(route.etag ? { etag: route.etag } : {}), ...route.headers };
      if (route.streamBytes) {
        res.writeHead(200, headers);
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let left = route.streamBytes;
        const pump = () => {
          while (left > 0) {
            const n = Math.min(left, chunk.length);
            left -= n;
            sent(n);
            if (!res.write(chunk.subarray(0, n))) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('error', () => {});
        res.on('close', () => { left = 0; });
        pump();
        return;
      }
      const body = route.body ?? '';
      sent(Buffer.byteLength(body));
      res.writeHead(route.status ?? 200, { ...headers, 'content-length': String(Buffer.byteLength(body)) }).end(body);
    };
    if (route?.delayMs) setTimeout(reply, route.delayMs);
    else reply();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A fixed set of feeds, one per format the acceptance names. */
export function standardFixtures(server: FeedServer) {
  server.set('/rss2.xml', {
    body: rss2([
      { title: 'Release 4.2 is out', link: 'https://blog.fixture.test/posts/4-2?utm_source=rss#top', guid: 'post-42', date: 'Tue, 05 May 2026 09:00:00 GMT', summary: 'Faster <b>builds</b> &amp; caches.', categories: ['Releases', 'CI'], author: 'Ada', image: 'https://blog.fixture.test/img/42.png' },
      { title: 'Encoded body', link: 'https://blog.fixture.test/posts/encoded', guid: 'post-enc', date: 'Mon, 04 May 2026 09:00:00 GMT', encoded: '<p>The <em>full</em> post, with an image <img src="https://blog.fixture.test/img/enc.png"></p><p>Second paragraph.</p>' },
      { title: 'No guid, link only', link: 'https://blog.fixture.test/posts/link-only', date: 'Sun, 03 May 2026 09:00:00 GMT', summary: 'Identified by its link.' },
    ]),
  });
  server.set('/atom.xml', {
    contentType: 'application/atom+xml',
    body: atom([
      { title: 'How Initech scaled', link: 'https://stories.fixture.test/initech', guid: 'urn:story:initech', date: '2026-05-02T10:00:00Z', summary: '<p>Initech went from 3 to 30 deploys a day.</p>', categories: ['Case Study', 'scale'], author: 'Grace' },
      { title: 'How Hooli migrated', link: 'https://stories.fixture.test/hooli', guid: 'urn:story:hooli', date: '2026-04-28T10:00:00Z', summary: 'A quiet migration.' },
    ]),
  });
  server.set('/rdf.xml', {
    contentType: 'application/rdf+xml',
    body: rdf([
      { title: 'v1.0.0', link: 'https://releases.fixture.test/v1.0.0', date: '2026-04-30T08:00:00Z', summary: 'First stable release.' },
      { title: 'v1.0.1', link: 'https://releases.fixture.test/v1.0.1', date: '2026-05-01T08:00:00Z', summary: 'Bug fixes.' },
    ]),
  });
  // ISO-8859-1 bytes, declared only in the XML declaration (no charset in the header)
  server.set('/latin1.xml', {
    contentType: 'application/xml',
    body: Buffer.from(rss2([{ title: 'Café in Zürich: naïve façades', link: 'https://blog.fixture.test/posts/cafe', guid: 'post-cafe', date: 'Fri, 01 May 2026 09:00:00 GMT', summary: 'Crème brûlée for everyone.' }], { encoding: 'ISO-8859-1' }), 'latin1'),
  });
  server.set('/hostile.xml', {
    body: rss2([{
      title: 'Totally normal <script>alert(1)</script>post', link: 'https://blog.fixture.test/posts/hostile', guid: 'post-hostile', date: 'Thu, 30 Apr 2026 09:00:00 GMT',
      encoded: '<p onclick="steal()">Read <a href="javascript:alert(1)">this</a> and <a href="https://ok.fixture.test/">that</a>.</p><script>document.cookie</script><iframe src="https://evil.fixture.test/"></iframe><img src="x" onerror="alert(2)"><style>body{display:none}</style>',
      summary: '<p onmouseover="x()">Hello<script>alert(3)</script> <iframe src="https://evil.fixture.test/">framed</iframe>world</p>',
    }]),
  });
  return {
    rss2: { path: '/rss2.xml', items: 3 },
    atom: { path: '/atom.xml', items: 2 },
    rdf: { path: '/rdf.xml', items: 2 },
    latin1: { path: '/latin1.xml', items: 1 },
    hostile: { path: '/hostile.xml', items: 1 },
  };
}
