// Render stage: campaign step + member -> subject, preheader, HTML and text.
// MJML runs once per (template, content hash, locale) and is cached; each
// recipient costs one Handlebars fill per part plus one recipient token (link
// targets are signed once per compiled message).
import { createHash } from 'node:crypto';
import { InvalidInputError, type InputIssue } from '../errors.ts';
import type { TrackingUrls } from '../tracking/tokens.ts';
import { TemplateLibrary } from './compile.ts';
import { prepareLinks } from './links.ts';
import { fillMessage, fillText, type Filler } from './recipient-pass.ts';
import type { CompiledMessage, MessageSample, Renderer, RenderRequest } from './types.ts';

export type { BodyPieces, CompiledMessage, MemberView, MessageSample, RenderedMessage, Renderer, RenderRequest, SendRef, SharedText } from './types.ts';
export { joinPieces } from './segmented-fill.ts';

export interface RendererOptions {
  templatesDir: string;
  urls: TrackingUrls;
  postalAddress: string;
  senderName: string;
  /** compiled messages kept in memory (least recently used are dropped) */
  cacheSize?: number;
}

export function createRenderer(opts: RendererOptions): Renderer {
  const library = new TemplateLibrary(opts.templatesDir, { name: opts.senderName, postalAddress: opts.postalAddress });
  const cache = new Map<string, Promise<CompiledMessage>>();
  const cacheSize = opts.cacheSize ?? 256;
  const subjects = new Map<string, Filler>();

  async function compile(template: string, sample: MessageSample, locale: string): Promise<CompiledMessage> {
    const outcome = await library.compile({ template, locale, data: sample.data, subject: sample.subject, preheader: sample.preheader ?? '' });
    const parts = outcome.parts;
    if (!parts || outcome.issues.length) {
      throw new InvalidInputError('TEMPLATE_INVALID', `Template "${template}" cannot be rendered:`, outcome.issues,
        'Fix the template or the campaign data, then run `flywheel validate`.');
    }
    const links = { prepared: prepareLinks(parts.links, opts.urls), urls: opts.urls };
    return {
      template,
      locale,
      linkTargets: outcome.linkTargets,
      fill: (member, send) => fillMessage(parts, links, member, send, locale),
    };
  }

  function prepare(template: string, sample: MessageSample, locale: string): Promise<CompiledMessage> {
    const key = `${template}\u0000${locale}\u0000${contentHash(sample)}`;
    let hit = cache.get(key);
    if (hit) {
      // refresh recency
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    hit = compile(template, sample, locale);
    // a failed compile is not cached: the user fixes the template and retries
    hit.catch(() => cache.delete(key));
    cache.set(key, hit);
    while (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
    return hit;
  }

  return {
    async render(req: RenderRequest) {
      const compiled = await prepare(req.template, req, req.member.locale);
      return compiled.fill(req.member, req.send);
    },
    async check(template: string, sample: MessageSample): Promise<InputIssue[]> {
      const outcome = await library.compile({ template, locale: 'en', data: sample.data, subject: sample.subject, preheader: sample.preheader ?? '' });
      return outcome.issues;
    },
    prepare,
    subject(req) {
      const locale = req.member.locale;
      const key = `${locale}\u0000${req.subject}\u0000${contentHash({ subject: req.subject, data: req.data })}`;
      let filler = subjects.get(key);
      if (!filler) {
        const outcome = library.subjectLine(req.subject, req.data, locale);
        if (!outcome.filler || outcome.issues.length) {
          throw new InvalidInputError('TEMPLATE_INVALID', 'The subject cannot be rendered:', outcome.issues, 'Fix the subject or the campaign data, then run `flywheel validate`.');
        }
        filler = outcome.filler;
        subjects.set(key, filler);
        if (subjects.size > cacheSize * 16) subjects.delete(subjects.keys().next().value as string);
      }
      return fillText(filler, req.member, locale);
    },
    templates: () => library.templates(),
  };
}

// The same data object is passed for every recipient of a step, so its hash is remembered by identity.
const dataHashes = new WeakMap<object, string>();

function contentHash(sample: MessageSample): string {
  let dataHash = dataHashes.get(sample.data);
  if (dataHash === undefined) {
    dataHash = createHash('sha256').update(stableJson(sample.data)).digest('base64url');
    dataHashes.set(sample.data, dataHash);
  }
  return `${dataHash}\u0000${sample.subject}\u0000${sample.preheader ?? ''}`;
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}
