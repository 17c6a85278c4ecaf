// The feed fetcher port and its HTTP implementation. We fetch ourselves (not rss-parser's
// parseURL) to get what a polite, bounded reader needs: conditional GET (ETag/Last-Modified,
// so an unchanged feed costs a 304 and no parse), one deadline for connect + headers + body,
// a byte limit enforced while streaming, bounded redirects, and the declared character set.
import { FeedError } from './feed-error.ts';

export interface Validators {
  etag?: string;
  lastModified?: string;
}

export type FetchOutcome =
  | { status: 'not-modified'; finalUrl: string }
  | { status: 'ok'; body: string; bytes: number; finalUrl: string; etag?: string; lastModified?: string };

export interface FeedFetcher {
  fetch(url: string, validators?: Validators): Promise<FetchOutcome>;
}

export interface HttpFetcherOptions {
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  userAgent?: string;
}

export const DEFAULT_FETCH_OPTIONS: HttpFetcherOptions = { timeoutMs: 10_000, maxBytes: 5 * 1024 * 1024, maxRedirects: 5 };

const ACCEPT = 'application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5';

function httpUrl(raw: string, base?: string): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw new FeedError('FEED_URL_INVALID', `not a URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FeedError('FEED_URL_INVALID', `only http(s) feeds are read, not ${url.protocol} (${raw})`);
  return url;
}

/** Character set: the Content-Type header, else the XML declaration, else a BOM, else UTF-8. */
export function decodeBody(bytes: Uint8Array, contentType: string | null): string {
  const fromHeader = /charset\s*=\s*"?([\w.:-]+)"?/i.exec(contentType ?? '')?.[1];
  const head = Buffer.from(bytes.subarray(0, 300)).toString('latin1');
  const fromXml = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([\w.:-]+)["']/i.exec(head)?.[1];
  const bom = bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : undefined;
  const label = bom ?? fromHeader ?? fromXml ?? 'utf-8';
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label);
  } catch {
    throw new FeedError('FEED_ENCODING', `unknown character encoding "${label}"`);
  }
  // TextDecoder drops a matching BOM itself; the XML declaration's label no longer applies to a JS string
  return decoder.decode(bytes);
}

async function readLimited(res: Response, maxBytes: number, url: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw new FeedError('FEED_TOO_LARGE', `${url} is ${declared} bytes, over the ${maxBytes}-byte limit (not downloaded)`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new FeedError('FEED_TOO_LARGE', `${url} sent more than the ${maxBytes}-byte limit (stopped reading)`);
      }
      chunks.push(value);
    }
  }
  return Buffer.concat(chunks, total);
}

export class HttpFeedFetcher implements FeedFetcher {
  constructor(private readonly options: HttpFetcherOptions = DEFAULT_FETCH_OPTIONS) {}

  async fetch(url: string, validators: Validators = {}): Promise<FetchOutcome> {
    const { timeoutMs, maxBytes, maxRedirects } = this.options;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    let current = httpUrl(url);
    try {
      for (let hop = 0; ; hop++) {
        const headers: Record<string, string> = { accept: ACCEPT, 'user-agent': this.options.userAgent ?? 'Flywheel feed reader' };
        if (validators.etag) headers['if-none-match'] = validators.etag;
        if (validators.lastModified) headers['if-modified-since'] = validators.lastModified;
        const res = await fetch(current, { headers, redirect: 'manual', signal: deadline.signal });
        if (res.status >= 300 && res.status < 400 && res.status !== 304) {
          await res.body?.cancel().catch(() => {});
          const location = res.headers.get('location');
          if (!location) throw new FeedError('FEED_HTTP', `${current} answered ${res.status} without a Location`);
          if (hop >= maxRedirects) throw new FeedError('FEED_REDIRECTS', `more than ${maxRedirects} redirects from ${url}`);
          current = httpUrl(location, current.href);
          continue;
        }
        if (res.status === 304) {
          await res.body?.cancel().catch(() => {});
          return { status: 'not-modified', finalUrl: current.href };
        }
        if (!res.ok) {
          await res.body?.cancel().catch(() => {});
          throw new FeedError('FEED_HTTP', `${current} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
        }
        const bytes = await readLimited(res, maxBytes, current.href);
        const body = decodeBody(bytes, res.headers.get('content-type'));
        return {
          status: 'ok', body, bytes: bytes.byteLength, finalUrl: current.href,
          ...(res.headers.get('etag') ? { etag: res.headers.get('etag')! } : {}),
          ...(res.headers.get('last-modified') ? { lastModified: res.headers.get('last-modified')! } : {}),
        };
      }
    } catch (e) {
      if (e instanceof FeedError) throw e;
      if (deadline.signal.aborted) throw new FeedError('FEED_TIMEOUT', `${url} did not answer in full within ${timeoutMs} ms`);
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new FeedError('FEED_NETWORK', `${current.host}: ${cause?.code ?? cause?.message ?? (e as Error).message}`, { cause: e });
    } finally {
      clearTimeout(timer);
    }
  }
}
