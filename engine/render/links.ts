// Every link a member can click goes through the click tracker. At compile
// time each external href is swapped for a slot (`{{{_u.c3}}}`) and its target
// signed once; per recipient the slots are filled with URLs carrying the
// recipient's token, built once and shared by HTML and text.
import { decodeHTML } from 'entities';
import type { TrackingUrls } from '../tracking/tokens.ts';
import { restoreStandins } from './shared-pass.ts';

export type LinkKey = 'o' | 'unsubscribe' | 'preferences' | `rsvp_${'yes' | 'no'}` | `survey_${number}` | `c${number}`;

export type LinkSpec =
  | { key: LinkKey; kind: 'click'; target: string }
  | { key: LinkKey; kind: 'open' | 'unsubscribe' | 'preferences' }
  | { key: LinkKey; kind: 'rsvp'; answer: 'yes' | 'no' }
  | { key: LinkKey; kind: 'survey'; score: number };

export function specialLinkSpec(key: LinkKey): LinkSpec {
  if (key === 'unsubscribe' || key === 'preferences') return { key, kind: key };
  if (key.startsWith('rsvp_')) return { key, kind: 'rsvp', answer: key === 'rsvp_yes' ? 'yes' : 'no' };
  if (key.startsWith('survey_')) return { key, kind: 'survey', score: Number(key.slice('survey_'.length)) };
  throw new Error(`not a special link: ${key}`);
}

// href attributes on links only (<a>, <area>, Outlook's <v:roundrect>); never <link href> (stylesheets)
const LINK_HREF = /(<(?:a|area|v:[a-z]+)\b[^>]*?\shref=")([^"]*)(")/gi;
const SLOT = /^\{\{\{_u\.[a-z0-9_]+\}\}\}$/;

export interface RewrittenLinks {
  html: string;
  clicks: LinkSpec[];
  /** hrefs whose target depends on the member (e.g. `?m={{member.id}}`): their target is signed per recipient by {{#track}} */
  dynamicCount: number;
}

/** Replaces each external href by a slot; the same URL twice shares one slot (and one link signature). */
export function rewriteHrefs(html: string): RewrittenLinks {
  const slots = new Map<string, LinkSpec>();
  let dynamicCount = 0;
  const out = html.replace(LINK_HREF, (whole, before: string, value: string, after: string) => {
    if (SLOT.test(value)) return whole;
    if (value.includes('{{')) {
      dynamicCount++;
      return `${before}{{#track}}${value}{{/track}}${after}`;
    }
    const target = decodeHTML(restoreStandins(value)).trim();
    if (!/^https?:\/\//i.test(target)) return whole; // mailto:, tel:, #anchors stay as written
    let spec = slots.get(target);
    if (!spec) {
      spec = { key: `c${slots.size}`, kind: 'click', target };
      slots.set(target, spec);
    }
    return `${before}{{{_u.${spec.key}}}}${after}`;
  });
  return { html: out, clicks: [...slots.values()], dynamicCount };
}

/**
 * The message's tracked URLs, prepared once per compiled message: every link
 * signature is computed here, and each URL is split around the recipient token,
 * so a recipient costs one token and a string concatenation per link.
 */
export interface PreparedLinks {
  /** this recipient's URLs, keyed like the slots */
  forRecipient(rt: string): Record<string, string>;
}

// stands in for the recipient token while URLs are pre-built; TrackingUrls never produces it
const RT_MARK = '\u0000rt\u0000';

export function prepareLinks(specs: readonly LinkSpec[], urls: TrackingUrls): PreparedLinks {
  const parts = specs.map((s) => {
    const url = specUrl(s, urls, RT_MARK);
    const at = url.indexOf(RT_MARK);
    if (at < 0 || url.indexOf(RT_MARK, at + 1) >= 0) throw new Error(`tracking URL for ${s.key} must carry the recipient token once`);
    return { key: s.key, head: url.slice(0, at), tail: url.slice(at + RT_MARK.length) };
  });
  return {
    forRecipient(rt) {
      const u: Record<string, string> = {};
      for (const p of parts) u[p.key] = p.head + rt + p.tail;
      return u;
    },
  };
}

function specUrl(s: LinkSpec, urls: TrackingUrls, rt: string): string {
  switch (s.kind) {
    case 'click': return urls.click(rt, s.target, urls.linkSignature(s.target));
    case 'open': return urls.openPixel(rt);
    case 'unsubscribe': return urls.unsubscribe(rt);
    case 'preferences': return urls.preferences(rt);
    case 'rsvp': return urls.rsvp(rt, s.answer);
    case 'survey': return urls.survey(rt, s.score);
  }
}

/** A member-dependent href, after the second pass filled it: decode the attribute text back to a URL. */
export function decodeDynamicHref(filled: string): string {
  return decodeHTML(filled).trim();
}
