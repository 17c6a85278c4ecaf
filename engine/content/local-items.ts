// Local content: Markdown files with front matter under content/, so a program manager can add
// a case study in a pull request. Validated like campaign files (file:line and the field), then
// stored exactly like feed items (source `local`), keyed by guid or canonical link.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import matter from 'gray-matter';
import { marked } from 'marked';
import { z } from 'zod';
import type { InputIssue } from '../errors.ts';
import { FEED_KINDS } from './define.ts';
import { programNameSchema } from './feeds-file.ts';
import { canonicalLink, normaliseTag, type NormalisedItem } from './normalise.ts';
import { plainText, sanitiseBody } from './sanitise.ts';

const httpUrl = z.string().refine((v) => canonicalLink(v) !== undefined, 'must be an absolute http(s) URL');
const date = z.union([z.date(), z.string()]).transform((v, ctx) => {
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) ctx.addIssue({ code: 'custom', message: 'must be a date such as 2026-03-01 or 2026-03-01T09:00:00Z' });
  return d;
});

export const frontMatterSchema = (programs?: readonly string[]) => z
  .object({
    title: z.string().trim().min(1, 'must not be empty'),
    link: httpUrl,
    published: date,
    summary: z.string().optional(),
    tags: z.array(z.string().min(1)).optional(),
    programs: z.array(programNameSchema(programs)).optional(),
    image: httpUrl.optional(),
    imageAlt: z.string().optional(),
    kind: z.enum(FEED_KINDS, { error: (i) => `unknown kind ${JSON.stringify(i.input)} (known: ${FEED_KINDS.join(', ')})` }).optional(),
    guid: z.string().min(1).optional(),
  })
  .strict();

export interface LocalItem {
  file: string;
  item: NormalisedItem;
}

/** Every `.md` file under `dir` (README.md excepted), in a stable order. */
function markdownFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.md') && e.name.toLowerCase() !== 'readme.md')
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function lineOfKey(source: string, key: string | undefined): number | undefined {
  if (!key) return undefined;
  const lines = source.split('\n');
  const at = lines.findIndex((l, i) => i > 0 && new RegExp(`^${key}\\s*:`).test(l));
  return at >= 0 ? at + 1 : undefined;
}

/** Read one Markdown item; `shown` is the path used in messages. */
export function parseLocalItem(source: string, shown: string, programs?: readonly string[]): { item?: NormalisedItem; issues: InputIssue[] } {
  if (!/^---\r?\n/.test(source)) {
    return { issues: [{ file: shown, line: 1, message: 'must start with front matter between --- lines (title, link, published, ...)' }] };
  }
  let parsed: matter.GrayMatterFile<string>;
  try {
    parsed = matter(source);
  } catch (e) {
    const mark = (e as { mark?: { line?: number } }).mark;
    return { issues: [{ file: shown, line: mark?.line !== undefined ? mark.line + 1 : undefined, message: `front matter is not valid YAML: ${(e as { reason?: string }).reason ?? (e as Error).message}` }] };
  }
  const schema = frontMatterSchema(programs);
  const result = schema.safeParse(parsed.data);
  if (!result.success) {
    return {
      issues: result.error.issues.map((i) => {
        const key = typeof i.path[0] === 'string' ? i.path[0] : undefined;
        const unknown = i.code === 'unrecognized_keys' ? i.keys : undefined;
        return {
          file: shown,
          line: lineOfKey(source, unknown?.[0] ?? key),
          path: unknown?.[0] ?? (i.path.map(String).join('.') || undefined),
          message: unknown ? `unknown field(s) ${unknown.join(', ')} (known: ${Object.keys(schema.shape).join(', ')})` : i.message,
        };
      }),
    };
  }
  const fm = result.data;
  const url = canonicalLink(fm.link)!;
  const html = sanitiseBody(marked.parse(parsed.content, { async: false }));
  const firstParagraph = /<p>([\s\S]*?)<\/p>/.exec(html)?.[1] ?? html;
  const image = fm.image ? canonicalLink(fm.image) : undefined;
  return {
    issues: [],
    item: {
      guid: fm.guid ?? url,
      url,
      title: fm.title,
      summary: fm.summary?.trim() || plainText(firstParagraph),
      html,
      ...(image ? { imageUrl: image, imageAlt: fm.imageAlt ?? fm.title } : {}),
      tags: [...new Set([...(fm.kind ? [fm.kind] : []), ...(fm.tags ?? [])].map(normaliseTag))],
      programs: fm.programs ?? [],
      ...(fm.kind ? { kind: fm.kind } : {}),
      publishedAt: fm.published,
    },
  };
}

/** Every Markdown item under `dir`, with every problem found (none stored while any file is wrong). */
export function loadLocalItems(dir: string, rootDir: string, programs?: readonly string[]): { items: LocalItem[]; issues: InputIssue[] } {
  const items: LocalItem[] = [];
  const issues: InputIssue[] = [];
  const seen = new Map<string, string>();
  for (const path of markdownFiles(dir)) {
    const shown = relative(rootDir, path).startsWith('..') ? path : relative(rootDir, path);
    const result = parseLocalItem(readFileSync(path, 'utf8'), shown, programs);
    issues.push(...result.issues);
    if (!result.item) continue;
    const other = seen.get(result.item.guid) ?? seen.get(result.item.url);
    if (other) {
      issues.push({ file: shown, line: lineOfKey(readFileSync(path, 'utf8'), 'link'), path: 'link', message: `same item as ${other} (same guid or link)` });
      continue;
    }
    seen.set(result.item.guid, shown).set(result.item.url, shown);
    items.push({ file: shown, item: result.item });
  }
  return { items, issues };
}
