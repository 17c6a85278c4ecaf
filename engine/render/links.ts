// Every link a member can click goes through the click tracker. At compile
// time each external href is swapped for a slot (`{{{_u.c3}}}`); per recipient
// the slots are filled with signed URLs, once, and shared by HTML and text.
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
  /** hrefs whose target depends on the member (e.g. `?m={{member.id}}`): signed per recipient by {{#track}} */
  dynamicCount: number;
}

/** Replaces each external href by a slot; the same URL twice shares one slot (one signature per recipient). */
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

/** The recipient's signed URLs, keyed like the slots. */
export function signLinks(specs: readonly LinkSpec[], urls: TrackingUrls, sendLogId: string): Record<string, string> {
  const u: Record<string, string> = {};
  for (const s of specs) {
    switch (s.kind) {
      case 'click': u[s.key] = urls.click(sendLogId, s.target); break;
      case 'open': u[s.key] = urls.openPixel(sendLogId); break;
      case 'unsubscribe': u[s.key] = urls.unsubscribe(sendLogId); break;
      case 'preferences': u[s.key] = urls.preferences(sendLogId); break;
      case 'rsvp': u[s.key] = urls.rsvp(sendLogId, s.answer); break;
      case 'survey': u[s.key] = urls.survey(sendLogId, s.score); break;
    }
  }
  return u;
}

/** A member-dependent href, after the second pass filled it: decode the attribute text back to a URL. */
export function decodeDynamicHref(filled: string): string {
  return decodeHTML(filled).trim();
}
