// Feed and Markdown HTML is untrusted: it reaches members' inboxes. sanitize-html (a maintained
// sanitiser) keeps a small set of harmless tags for bodies and nothing at all for summaries.
import sanitizeHtml from 'sanitize-html';
import { decodeHTML } from 'entities';

// Dropped with everything inside them (text included), not merely unwrapped.
const DROP_WITH_CONTENT = ['script', 'style', 'iframe', 'object', 'embed', 'noscript', 'textarea', 'option', 'template', 'svg', 'math', 'form'];

const BODY: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'a', 'strong', 'b', 'em', 'i', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'h2', 'h3', 'h4', 'img', 'hr'],
  allowedAttributes: { a: ['href', 'title', 'rel'], img: ['src', 'alt', 'width', 'height'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  nonTextTags: DROP_WITH_CONTENT,
  transformTags: { a: sanitizeHtml.simpleTransform('a', { rel: 'noopener' }) },
  // a relative image has nothing to resolve against in an inbox
  exclusiveFilter: (frame) => frame.tag === 'img' && !/^https?:\/\//i.test(frame.attribs.src ?? ''),
};

const TEXT: sanitizeHtml.IOptions = { allowedTags: [], allowedAttributes: {}, nonTextTags: DROP_WITH_CONTENT };

/** HTML safe to show in an email: no scripts, handlers, frames, or javascript:/data: links. */
export function sanitiseBody(html: string): string {
  return sanitizeHtml(html, BODY).trim();
}

/** Plain text of an HTML fragment (entities decoded, whitespace collapsed), cut at a word near `max`. */
export function plainText(html: string, max = 400): string {
  // Block ends become spaces so "</p><p>" does not glue two words together.
  const spaced = html.replace(/<\/(p|div|li|h\d|blockquote|pre)>|<br\s*\/?>/gi, ' $&');
  const text = decodeHTML(sanitizeHtml(spaced, TEXT)).replace(/\s+/g, ' ').trim();
  if (text.length <= max) return text;
  const cut = text.slice(0, max + 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut.slice(0, max)).replace(/[\s.,;:!?-]+$/, '')}…`;
}

/** The first image of an HTML fragment, if it is an http(s) URL. */
export function firstImage(html: string): string | undefined {
  const src = /<img\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/i.exec(html)?.[1];
  return src && /^https?:\/\//i.test(src) ? decodeHTML(src) : undefined;
}
