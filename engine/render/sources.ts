// Reads MJML templates and partials from the templates folder, and tags each
// line that opens an MJML tag with an invisible marker, so that after
// Handlebars has expanded loops and partials we can still tell which file and
// line produced each line of MJML (MJML reports errors by output line only).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export interface SourceFile {
  /** name used in Handlebars, e.g. `newsletter`, `partials/footer`, `layouts/base` */
  name: string;
  /** path relative to the current directory when possible, for messages */
  file: string;
  /** the file as written */
  raw: string;
  /** the file with line markers inserted (same line count) */
  marked: string;
}

const MARK_OPEN = '\u0001';
const MARK_CLOSE = '\u0002';
const MARKER = /\u0001(\d+):(\d+)\u0002/g;

/** Every file we read gets an index; markers carry (index, line). */
export class SourceRegistry {
  private readonly files: SourceFile[] = [];
  private readonly byName = new Map<string, number>();

  add(name: string, file: string, raw: string): SourceFile {
    const existing = this.byName.get(name);
    if (existing !== undefined) return this.files[existing]!;
    const index = this.files.length;
    const src: SourceFile = { name, file, raw, marked: markLines(raw, index) };
    this.files.push(src);
    this.byName.set(name, index);
    return src;
  }

  get(name: string): SourceFile | undefined {
    const i = this.byName.get(name);
    return i === undefined ? undefined : this.files[i];
  }

  all(): SourceFile[] {
    return [...this.files];
  }

  /**
   * Splits Handlebars output into MJML without markers, plus a table from
   * output line (1-based) to the source file and line that produced it.
   */
  unmark(expanded: string): { mjml: string; origin: (outputLine: number) => { file: string; line: number } | undefined } {
    const lines = expanded.split('\n');
    const origins: Array<{ file: string; line: number } | undefined> = [];
    let last: { file: string; line: number } | undefined;
    for (const text of lines) {
      let found: { file: string; line: number } | undefined;
      for (const m of text.matchAll(MARKER)) {
        const f = this.files[Number(m[1])];
        if (f) found = { file: f.file, line: Number(m[2]) };
      }
      // a line without a marker (text, or a multi-line data value) belongs to the last tag seen
      if (found) last = found;
      origins.push(found ?? last);
    }
    return {
      mjml: expanded.replace(MARKER, ''),
      origin: (n) => origins[n - 1],
    };
  }
}

export function stripMarkers(s: string): string {
  return s.replace(MARKER, '');
}

/**
 * Inserts a marker before the first `<` of each line that starts with a tag,
 * unless the line starts inside a Handlebars expression or comment (a marker
 * there would change its meaning).
 */
function markLines(raw: string, fileIndex: number): string {
  const out: string[] = [];
  let inMustache: false | '}}' | '--}}' = false;
  const lines = raw.split('\n');
  lines.forEach((line, i) => {
    const startsInside = inMustache !== false;
    // track whether this line leaves us inside {{ ... }} or {{!-- ... --}}
    let pos = 0;
    while (pos < line.length) {
      if (inMustache) {
        const end = line.indexOf(inMustache, pos);
        if (end < 0) break;
        pos = end + inMustache.length;
        inMustache = false;
      } else {
        const open = line.indexOf('{{', pos);
        if (open < 0) break;
        inMustache = line.startsWith('{{!--', open) ? '--}}' : '}}';
        pos = open + 2;
      }
    }
    const m = /^(\s*)</.exec(line);
    if (!startsInside && m) {
      const indent = m[1] ?? '';
      out.push(`${indent}${MARK_OPEN}${fileIndex}:${i + 1}${MARK_CLOSE}${line.slice(indent.length)}`);
    } else {
      out.push(line);
    }
  });
  return out.join('\n');
}

/** The template names a campaign can use: `templates/<name>.mjml`, excluding partials and layouts. */
export function listTemplates(templatesDir: string): string[] {
  if (!existsSync(templatesDir)) return [];
  return readdirSync(templatesDir)
    .filter((f) => f.endsWith('.mjml'))
    .map((f) => f.slice(0, -'.mjml'.length))
    .sort();
}

/** Partials (`partials/*.mjml`) and layouts (`layouts/*.mjml`), named by their path without extension. */
export function listPartials(templatesDir: string): Array<{ name: string; path: string }> {
  const found: Array<{ name: string; path: string }> = [];
  for (const folder of ['partials', 'layouts']) {
    const dir = join(templatesDir, folder);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (f.endsWith('.mjml')) found.push({ name: `${folder}/${f.slice(0, -5)}`, path: join(dir, f) });
    }
  }
  return found;
}

export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel.split(sep).join('/');
}

export function readSource(path: string): string {
  return readFileSync(path, 'utf8');
}
