// Compile once: template + campaign data + locale -> second-pass templates for
// HTML, text, subject and preheader. Runs the first Handlebars pass, MJML,
// link slotting and text derivation. Every problem becomes an InputIssue.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Handlebars from 'handlebars';
import mjml2html from 'mjml';
import type { InputIssue } from '../errors.ts';
import { issueFromTemplateError, issuesFromMjml, tagErrorSource } from './issues.ts';
import { rewriteHrefs, specialLinkSpec, type LinkKey, type LinkSpec } from './links.ts';
import { compileRecipientPass, compileRecipientPieces, type CompiledParts, type Filler } from './recipient-pass.ts';
import {
  BACKSLASH_STANDIN, BRACE_STANDIN, createSharedPassEnv, memberPlaceholder, neutraliseData, type SharedPassData,
} from './shared-pass.ts';
import { displayPath, listPartials, listTemplates, readSource, SourceRegistry, stripMarkers, type SourceFile } from './sources.ts';
import { deriveTextSource } from './text-part.ts';

type FirstPass = (context: unknown, options: { data: SharedPassData }) => string;

export interface CompileInput {
  template: string;
  locale: string;
  data: Record<string, unknown>;
  subject: string;
  preheader: string;
}

export interface CompileOutcome {
  parts?: CompiledParts;
  issues: InputIssue[];
  /** distinct click targets, for reports and tests */
  linkTargets: string[];
}

/** Names the first pass gives a meaning to; campaign data cannot use them as keys. */
const RESERVED_KEYS = ['member', 'sender', '_u', '_subject', '_preheader', '_lb', '_bs'];

/** The templates folder: sources, partials and the first-pass Handlebars environment. */
export class TemplateLibrary {
  private readonly sources = new SourceRegistry();
  private readonly hb: typeof Handlebars = createSharedPassEnv();
  private readonly firstPass = new Map<string, FirstPass>();
  /** files being expanded right now (the first pass is synchronous), to blame block content on its author */
  private readonly active: SourceFile[] = [];

  constructor(
    readonly templatesDir: string,
    private readonly sender: { name: string; postalAddress: string },
  ) {
    for (const p of listPartials(templatesDir)) {
      const src = this.sources.add(p.name, displayPath(p.path), readSource(p.path));
      this.hb.registerPartial(p.name, this.wrap(src) as unknown as Handlebars.Template);
    }
  }

  templates(): string[] {
    return listTemplates(this.templatesDir);
  }

  private wrap(src: SourceFile): FirstPass {
    let compiled: FirstPass | undefined;
    return (context, options) => {
      // `{{#> layouts/base}}...{{/layouts/base}}`: the block was written by the caller, not the layout
      const caller = this.active.at(-1);
      const block = options as unknown as { fn?: unknown; data?: Record<string, unknown> };
      if (caller && typeof block.fn === 'function' && typeof block.data?.['partial-block'] === 'function') {
        const inner = block.data['partial-block'] as (...a: unknown[]) => string;
        block.data['partial-block'] = (...a: unknown[]) => {
          try {
            return inner(...a);
          } catch (err) {
            throw tagErrorSource(err, caller);
          }
        };
      }
      this.active.push(src);
      try {
        compiled ??= this.hb.compile(src.marked, { strict: true }) as unknown as FirstPass;
        return compiled(context, options);
      } catch (err) {
        throw tagErrorSource(err, src);
      } finally {
        this.active.pop();
      }
    };
  }

  private load(template: string): { src: SourceFile; run: FirstPass } | undefined {
    if (!/^[a-z0-9][a-z0-9-]*$/i.test(template)) return undefined;
    const path = join(this.templatesDir, `${template}.mjml`);
    let src = this.sources.get(template);
    if (!src) {
      if (!existsSync(path)) return undefined;
      src = this.sources.add(template, displayPath(path), readSource(path));
    }
    let run = this.firstPass.get(template);
    if (!run) {
      run = this.wrap(src);
      this.firstPass.set(template, run);
    }
    return { src, run };
  }

  async compile(input: CompileInput): Promise<CompileOutcome> {
    const { template } = input;
    const loaded = this.load(template);
    if (!loaded) {
      return {
        issues: [{ subject: template, message: `unknown template "${template}" (expected ${displayPath(join(this.templatesDir, `${template}.mjml`))}; available: ${this.templates().join(', ') || 'none'})` }],
        linkTargets: [],
      };
    }
    const issues: InputIssue[] = [];
    for (const key of RESERVED_KEYS) {
      if (key in input.data) issues.push({ subject: template, path: key, message: `campaign data cannot use the reserved key "${key}"` });
    }
    if (issues.length) return { issues, linkTargets: [] };

    const context = { ...neutraliseData(input.data), member: memberPlaceholder(), sender: neutraliseData(this.sender) };
    const links = new Set<LinkKey>();
    const data: SharedPassData = { locale: input.locale, links };

    const subjectSource = this.firstPassText(input.subject, context, data, `${template} subject`, issues);
    const preheaderSource = this.firstPassText(input.preheader, context, data, `${template} preheader`, issues);

    let expanded: string | undefined;
    try {
      expanded = loaded.run(context, { data });
    } catch (err) {
      issues.push(issueFromTemplateError(err, template, loaded.src));
    }
    if (expanded === undefined || issues.length) return { issues, linkTargets: [] };

    const { mjml, origin } = this.sources.unmark(expanded);
    issues.push(...imagesWithoutAlt(mjml, template, origin));
    let html: string;
    try {
      // Minified (htmlnano: collapsed whitespace, no comments) once per compile, so every copy is
      // about a quarter smaller on the wire and under Gmail's 102 KB clipping limit for longer.
      // CSS is left as written (cssnano is not installed; the <style> block is small).
      const result = await mjml2html(mjml, { validationLevel: 'soft', fonts: {}, keepComments: false, ignoreIncludes: true, minify: true, minifyOptions: { minifyCss: false } } as never);
      issues.push(...issuesFromMjml(result.errors, template, origin));
      html = result.html;
    } catch (err) {
      issues.push({ file: loaded.src.file, subject: template, message: `MJML failed: ${(err as Error).message}` });
      return { issues, linkTargets: [] };
    }
    if (issues.length) return { issues, linkTargets: [] };

    const rewritten = rewriteHrefs(html);
    const textSource = deriveTextSource(rewritten.html)
      .replaceAll(BRACE_STANDIN, '{{_lb}}')
      .replaceAll(BACKSLASH_STANDIN, '{{_bs}}');
    const htmlSource = appendOpenPixel(
      rewritten.html.replaceAll(BRACE_STANDIN, '&#123;').replaceAll(BACKSLASH_STANDIN, '&#92;'),
    );
    const specs: LinkSpec[] = [...rewritten.clicks, ...[...links].map(specialLinkSpec), { key: 'o', kind: 'open' }];
    try {
      const parts: CompiledParts = {
        subject: compileRecipientPass(subjectSource ?? '', 'text'),
        preheader: compileRecipientPass(preheaderSource ?? '', 'text'),
        html: compileRecipientPieces(htmlSource, 'html'),
        text: compileRecipientPieces(textSource, 'text'),
        links: specs,
      };
      return { parts, issues, linkTargets: rewritten.clicks.map((c) => (c.kind === 'click' ? c.target : '')) };
    } catch (err) {
      issues.push({ file: loaded.src.file, subject: template, message: `compiled template is not valid Handlebars: ${(err as Error).message}` });
      return { issues, linkTargets: [] };
    }
  }

  /**
   * A subject line alone, both passes prepared, no MJML: what `flywheel plan` prints for every
   * planned send, so a plan of thousands of members costs no message compiles.
   */
  subjectLine(source: string, data: Record<string, unknown>, locale: string): { filler?: Filler; issues: InputIssue[] } {
    const issues: InputIssue[] = [];
    const context = { ...neutraliseData(data), member: memberPlaceholder(), sender: neutraliseData(this.sender) };
    const firstPass = this.firstPassText(source, context, { locale, links: new Set<LinkKey>() }, 'subject', issues);
    if (firstPass === undefined) return { issues };
    try {
      return { filler: compileRecipientPass(firstPass, 'text'), issues };
    } catch (err) {
      return { issues: [...issues, { subject: 'subject', message: `not valid Handlebars: ${(err as Error).message}` }] };
    }
  }

  /** Subject and preheader: plain text, data filled now, member parts deferred. */
  private firstPassText(source: string, context: unknown, data: SharedPassData, subject: string, issues: InputIssue[]): string | undefined {
    try {
      const out = (this.hb.compile(source, { strict: true, noEscape: true }) as unknown as FirstPass)(context, { data });
      return stripMarkers(out).replaceAll(BRACE_STANDIN, '{{_lb}}').replaceAll(BACKSLASH_STANDIN, '{{_bs}}');
    } catch (err) {
      issues.push(issueFromTemplateError(err, subject, { name: subject, file: '', raw: source, marked: source }));
      return undefined;
    }
  }
}

// The open pixel is a recipient slot like the links (`_u.o`, signed per recipient).
function appendOpenPixel(html: string): string {
  const pixel = '<img src="{{{_u.o}}}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px;overflow:hidden" />';
  const at = html.lastIndexOf('</body>');
  return at < 0 ? html + pixel : html.slice(0, at) + pixel + html.slice(at);
}

/** Alt text is required on every image: screen readers and image-blocking clients read it. */
function imagesWithoutAlt(mjml: string, subject: string, origin: (line: number) => { file: string; line: number } | undefined): InputIssue[] {
  const issues: InputIssue[] = [];
  mjml.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/<mj-image\b[^>]*>/g)) {
      const alt = /\salt="([^"]*)"/.exec(m[0]);
      if (!alt || alt[1]!.trim() === '') {
        const at = origin(i + 1);
        issues.push({ file: at?.file, line: at?.line, subject, message: 'MJML <mj-image> has no alt text' });
      }
    }
  });
  return issues;
}
