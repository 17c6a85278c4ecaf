// Pure: one parsed feed (rss-parser's output) -> the items we store, or the reason each item is
// refused. Identity is the feed's guid, else the canonical link; summaries become plain text.
import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { firstImage, plainText, sanitiseBody } from './sanitise.ts';

export interface NormalisedItem {
  /** the feed's guid (Atom id, RDF about), else the canonical link */
  guid: string;
  /** canonical link: absolute http(s), no fragment, no tracking parameters */
  url: string;
  title: string;
  summary: string;
  html: string;
  imageUrl?: string;
  imageAlt?: string;
  author?: string;
  tags: string[];
  programs: string[];
  kind?: string;
  /** absent when the feed gives no date: the store keeps the time it first saw the item */
  publishedAt?: Date;
}

export interface ItemRejection {
  /** 1-based position in the feed */
  position: number;
  reason: string;
}

export interface SourceTraits {
  kind?: string;
  tags?: readonly string[];
  programs?: readonly string[];
  /** the feed's own URL: relative links resolve against it */
  baseUrl?: string;
}

/** Dates further ahead than this are a feed's mistake (or an embargo), not a publication. */
const FUTURE_SKEW_MS = 60 * 60_000;
const TRACKING_PARAMS = /^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid)$/i;

export function canonicalLink(raw: unknown, base?: string): string | undefined {
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw.trim(), base);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  url.hash = '';
  for (const key of [...url.searchParams.keys()]) if (TRACKING_PARAMS.test(key)) url.searchParams.delete(key);
  return url.toString();
}

export function normaliseTag(tag: string): string {
  return tag.trim().toLowerCase().replace(/\s+/g, '-');
}

/** The fields whose change is an upstream edit. */
export function contentHashOf(item: NormalisedItem): string {
  const fields = [item.title, item.url, item.summary, item.html, item.imageUrl ?? '', item.author ?? '', item.tags.join(','), item.programs.join(','), item.publishedAt?.toISOString() ?? ''];
  return createHash('sha256').update(JSON.stringify(fields)).digest('base64url').slice(0, 22);
}

type RawItem = Record<string, unknown>;

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { _?: unknown })._ === 'string') return (v as { _: string })._;
  return undefined;
}

function categoriesOf(raw: RawItem): string[] {
  const out: string[] = [];
  for (const c of Array.isArray(raw.categories) ? raw.categories : []) {
    const t = text(c);
    if (t) out.push(t);
  }
  // Atom: <category term="..."/>
  for (const c of Array.isArray(raw.atomCategories) ? raw.atomCategories : []) {
    const term = (c as { $?: { term?: unknown } })?.$?.term;
    if (typeof term === 'string') out.push(term);
  }
  return out;
}

function imageOf(raw: RawItem, body: string, base?: string): string | undefined {
  const enclosure = raw.enclosure as { url?: string; type?: string } | undefined;
  const media = [raw.mediaContent, raw.mediaThumbnail].flat().map((m) => (m as { $?: { url?: string; medium?: string; type?: string } } | undefined)?.$);
  const candidates = [
    enclosure?.type?.startsWith('image/') ? enclosure.url : undefined,
    ...media.filter((m) => m && (!m.type || m.type.startsWith('image/')) && (!m.medium || m.medium === 'image')).map((m) => m?.url),
    (raw.itunes as { image?: string } | undefined)?.image,
    firstImage(body),
  ];
  for (const c of candidates) {
    const url = canonicalLink(c, base);
    if (url) return url;
  }
  return undefined;
}

function dateOf(raw: RawItem): { date?: Date; bad?: string } {
  const given = [raw.pubDate, raw.date, raw['dc:date'], raw.published, raw.updated].map(text).find((v) => v && v.trim());
  if (!given) return {};
  const date = parseFeedDate(given.trim());
  return date ? { date } : { bad: given.trim() };
}

/**
 * RFC 822/2822 (RSS) or ISO 8601 (Atom, dc:date), strictly: the engine's own Date parser
 * would read "the fifth of May" as a date in 2001.
 */
export function parseFeedDate(value: string): Date | undefined {
  // RSS feeds often write zone names RFC 2822 only half allows (e.g. "UTC"); luxon reads them as GMT
  const rfc = DateTime.fromRFC2822(value.replace(/\b(UTC|Z)$/, 'GMT'), { zone: 'utc' });
  if (rfc.isValid) return rfc.toJSDate();
  const iso = DateTime.fromISO(value, { zone: 'utc' });
  if (iso.isValid) return iso.toJSDate();
  const http = DateTime.fromHTTP(value, { zone: 'utc' });
  return http.isValid ? http.toJSDate() : undefined;
}

/** Normalise every item of a parsed feed; refused items are reported with their reason, never dropped silently. */
export function normaliseFeedItems(items: readonly RawItem[], traits: SourceTraits, now: Date): { items: NormalisedItem[]; rejected: ItemRejection[] } {
  const out: NormalisedItem[] = [];
  const rejected: ItemRejection[] = [];
  const seen = new Set<string>();
  items.forEach((raw, i) => {
    const position = i + 1;
    const reject = (reason: string) => rejected.push({ position, reason });
    const title = plainText(text(raw.title) ?? '', 300);
    if (!title) return reject('has no title');
    const guidText = [raw.guid, raw.id, raw['rdf:about']].map(text).find((v) => v && v.trim())?.trim();
    const url = canonicalLink(text(raw.link), traits.baseUrl) ?? canonicalLink(guidText); // a guid is a link only when it is an absolute URL
    if (!url) return reject(`"${title}" has no http(s) link`);
    const { date, bad } = dateOf(raw);
    if (bad) return reject(`"${title}" has an unreadable date "${bad.slice(0, 60)}"`);
    if (date && date.getTime() > now.getTime() + FUTURE_SKEW_MS) return reject(`"${title}" is dated in the future (${date.toISOString()})`);
    const guid = guidText ?? url;
    if (seen.has(guid)) return reject(`"${title}" repeats guid ${guid}`);
    seen.add(guid);
    // content:encoded carries the full post; description/summary the teaser
    const encoded = text(raw['content:encoded']) ?? '';
    const teaser = text(raw.summary) ?? text(raw.content) ?? '';
    const body = encoded || teaser;
    const imageUrl = imageOf(raw, body, traits.baseUrl);
    const author = plainText(text(raw.creator) ?? text(raw.author) ?? text(raw['dc:creator']) ?? '', 120) || undefined;
    const tags = [...new Set([...(traits.kind ? [traits.kind] : []), ...(traits.tags ?? []), ...categoriesOf(raw)].map(normaliseTag).filter(Boolean))];
    out.push({
      guid, url, title,
      summary: plainText(teaser || encoded),
      html: sanitiseBody(body),
      ...(imageUrl ? { imageUrl, imageAlt: title } : {}),
      ...(author ? { author } : {}),
      tags,
      programs: [...(traits.programs ?? [])],
      ...(traits.kind ? { kind: traits.kind } : {}),
      ...(date ? { publishedAt: date } : {}),
    });
  });
  return { items: out, rejected };
}
