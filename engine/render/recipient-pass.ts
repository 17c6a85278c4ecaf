// Second Handlebars pass: the only work done per recipient. Fills member
// fields (HTML-escaped in the HTML part), dates in the member's zone and the
// recipient's tracking URLs (one token, pre-signed links) into templates MJML compiled once.
import Handlebars from 'handlebars';
import { FlywheelError } from '../errors.ts';
import type { TrackingUrls } from '../tracking/tokens.ts';
import { formatDate, pluralText } from './formatting.ts';
import { decodeDynamicHref, type LinkSpec, type PreparedLinks } from './links.ts';
import { compileSegmented, joinPieces, type PieceFiller } from './segmented-fill.ts';
import type { BodyPieces, MemberView, RenderedMessage, SendRef } from './types.ts';

interface RecipientPassData {
  zone: string;
  locale: string;
  track: (url: string) => string;
}

const hb = Handlebars.create();

hb.registerHelper('date', (value: unknown, format: unknown, options: Handlebars.HelperOptions) => {
  const d = options.data as RecipientPassData;
  return formatDate(value, String(format), d.zone, d.locale);
});
hb.registerHelper('default', (value: unknown, fallback: unknown) =>
  value === undefined || value === null || value === '' ? fallback : value);
hb.registerHelper('plural', (count: unknown, one: unknown, other: unknown, options: Handlebars.HelperOptions) => {
  if (typeof count !== 'number') throw new FlywheelError('RENDER_VALUE_MISSING', `plural: expected a number, got ${JSON.stringify(count)}`);
  return pluralText((options.data as RecipientPassData).locale, count, String(one), String(other));
});
// an href that contains member fields: fill it, then sign the result
hb.registerHelper('track', function (this: unknown, options: Handlebars.HelperOptions) {
  const url = decodeDynamicHref(options.fn(this));
  return new Handlebars.SafeString((options.data as RecipientPassData).track(url));
});

export type Filler = (context: Record<string, unknown>, options: { data: RecipientPassData }) => string;

/**
 * Parses a second-pass source now, so syntax errors surface at compile time. Filled like a body
 * (segmented-fill.ts): a subject with no member fields costs no Handlebars call per recipient.
 */
export function compileRecipientPass(source: string, kind: 'html' | 'text'): Filler {
  const pieces = compileRecipientPieces(source, kind);
  return (context, options) => joinPieces(pieces(context, options));
}

/** A body's second pass, cut into shared text and per-recipient expressions (segmented-fill.ts). */
export function compileRecipientPieces(source: string, kind: 'html' | 'text'): PieceFiller {
  return compileSegmented(hb, hb.parse(source), { strict: true, noEscape: kind === 'text' });
}

export interface CompiledParts {
  subject: Filler;
  preheader: Filler;
  html: PieceFiller;
  text: PieceFiller;
  links: readonly LinkSpec[];
}

/** Member fields as templates see them; an absent optional field stays absent, so strict mode refuses to print it. */
function memberContext(m: MemberView): Record<string, unknown> {
  const c: Record<string, unknown> = {
    id: m.id, email: m.email, name: m.name, firstName: m.firstName,
    program: m.program, locale: m.locale, timezone: m.timezone,
    attributes: m.attributes ?? {},
  };
  if (m.country !== undefined) c.country = m.country;
  if (m.expiresAt !== undefined) c.expiresAt = m.expiresAt;
  return c;
}

/** What a compiled message needs to build tracking URLs: the prepared links, and TrackingUrls for member-dependent ones. */
export interface LinkContext {
  prepared: PreparedLinks;
  urls: TrackingUrls;
}

/** A text part (a subject line) for one member, without tracking links: the plan's view of it. */
export function fillText(filler: Filler, member: MemberView, locale: string): string {
  const data: RecipientPassData = { zone: member.timezone, locale, track: (url) => url };
  const ctx: Record<string, unknown> = { member: memberContext(member), _u: {}, _lb: '{', _bs: '\\', _subject: '', _preheader: '' };
  return filler(ctx, { data }).replace(/\s+/g, ' ').trim();
}

export function fillMessage(parts: CompiledParts, links: LinkContext, member: MemberView, send: SendRef, locale: string): RenderedMessage {
  const { urls } = links;
  const rt = urls.recipient({ ...send, memberId: member.id, program: member.program });
  const u = links.prepared.forRecipient(rt);
  let tracked: Map<string, string> | undefined;
  const data: RecipientPassData = {
    zone: member.timezone,
    locale,
    // a member-dependent target is only known now, so it is signed now (rare: a few links per message at most)
    track: (url) => {
      tracked ??= new Map();
      let signed = tracked.get(url);
      if (signed === undefined) {
        signed = /^https?:\/\//i.test(url) ? urls.click(rt, url, urls.linkSignature(url)) : url;
        tracked.set(url, signed);
      }
      return signed;
    },
  };
  const ctx: Record<string, unknown> = { member: memberContext(member), _u: u, _lb: '{', _bs: '\\', _subject: '', _preheader: '' };
  const options = { data };
  const subject = parts.subject(ctx, options).replace(/\s+/g, ' ').trim();
  const preheader = parts.preheader(ctx, options).replace(/\s+/g, ' ').trim();
  ctx._subject = subject;
  ctx._preheader = preheader;
  return new FilledMessage(subject, preheader, parts.html(ctx, options), parts.text(ctx, options), rt);
}

/** One recipient's message; the whole bodies are joined only if something reads them. */
class FilledMessage implements RenderedMessage {
  private joinedHtml?: string;
  private joinedText?: string;
  constructor(
    readonly subject: string,
    readonly preheader: string,
    readonly htmlPieces: BodyPieces,
    readonly textPieces: BodyPieces,
    readonly recipientToken: string,
  ) {}

  get html(): string {
    return (this.joinedHtml ??= joinPieces(this.htmlPieces));
  }

  get text(): string {
    return (this.joinedText ??= joinPieces(this.textPieces));
  }
}
