// Feed definitions live in campaigns/feeds.ts, next to the campaigns that use their items.
// Every export of that file is a feed (`export const blog = defineFeed({...})`); each is
// validated with the file, line and field of any problem, like a campaign file.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { InputIssue } from '../errors.ts';
import { FEED_KINDS, type FeedDefinition } from './define.ts';

export const FEEDS_FILE = 'feeds.ts';

const durationSchema = z
  .object({ days: z.number().nonnegative().optional(), hours: z.number().nonnegative().optional(), minutes: z.number().nonnegative().optional() })
  .strict()
  .refine((d) => (d.days ?? 0) * 1440 + (d.hours ?? 0) * 60 + (d.minutes ?? 0) >= 5, 'must be at least 5 minutes (be polite to the publisher)');

/** Program names are the project's data (campaigns/programs.ts); without the list any name passes here. */
export function programNameSchema(programs: readonly string[] | undefined) {
  return programs
    ? z.string().refine((p) => programs.includes(p), { error: (i) => `unknown program ${JSON.stringify(i.input)} (declared in campaigns/programs.ts: ${programs.join(', ')})` })
    : z.string().min(1);
}

export const feedSchema = (programs?: readonly string[]) => z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes'),
    url: z.string().refine((v) => {
      try {
        return ['http:', 'https:'].includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, 'must be an absolute http(s) URL'),
    kind: z.enum(FEED_KINDS, { error: (i) => `unknown kind ${JSON.stringify(i.input)} (known: ${FEED_KINDS.join(', ')})` }),
    tags: z.array(z.string().min(1)).optional(),
    programs: z.array(programNameSchema(programs)).optional(),
    pollEvery: durationSchema.optional(),
  })
  .strict();

export function pollIntervalMs(feed: FeedDefinition): number {
  const d = feed.pollEvery;
  return d ? ((d.days ?? 0) * 1440 + (d.hours ?? 0) * 60 + (d.minutes ?? 0)) * 60_000 : 3_600_000;
}

function lineOf(source: string, exportName: string, feedName: unknown, key: string | undefined): number | undefined {
  const lines = source.split('\n');
  let from = lines.findIndex((l) => new RegExp(`export\\s+(const|let|var)\\s+${exportName}\\b`).test(l));
  if (typeof feedName === 'string') {
    const at = lines.findIndex((l) => new RegExp(`\\bname:\\s*['"\`]${feedName.replace(/[^a-z0-9-]/g, '')}['"\`]`).test(l));
    if (at >= 0) from = at;
  }
  if (from < 0) from = 0;
  if (key) {
    // the key inside this definition: search from the export (or name) line, then upwards
    for (let i = from; i < lines.length; i++) if (new RegExp(`\\b${key}\\s*:`).test(lines[i]!)) return i + 1;
  }
  return from + 1;
}

/** Load campaigns/feeds.ts (absent = no feeds), checking program names against the declared ones. */
export async function loadFeeds(campaignsDir: string, rootDir: string, programs?: readonly string[]): Promise<{ feeds: FeedDefinition[]; issues: InputIssue[] }> {
  const file = join(campaignsDir, FEEDS_FILE);
  if (!existsSync(file)) return { feeds: [], issues: [] };
  const shown = relative(rootDir, file).startsWith('..') ? file : relative(rootDir, file);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(`${pathToFileURL(file).href}?v=${Math.round(statSync(file).mtimeMs * 1000)}&lang.ts`)) as Record<string, unknown>;
  } catch (e) {
    return { feeds: [], issues: [{ file: shown, message: `could not load: ${(e as Error).message}` }] };
  }
  const source = readFileSync(file, 'utf8');
  const feeds: FeedDefinition[] = [];
  const issues: InputIssue[] = [];
  const names = new Map<string, string>();
  const schema = feedSchema(programs);
  for (const [exportName, value] of Object.entries(mod)) {
    const subject = value && typeof value === 'object' && typeof (value as { name?: unknown }).name === 'string' ? (value as { name: string }).name : exportName;
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      for (const i of parsed.error.issues) {
        const field = i.code === 'unrecognized_keys' ? i.keys[0] : typeof i.path[0] === 'string' ? i.path[0] : undefined;
        // a missing field has no line of its own: point at the definition
        const key = field && value && typeof value === 'object' && field in value ? field : undefined;
        issues.push({ file: shown, line: lineOf(source, exportName, (value as { name?: unknown })?.name, key), subject, path: i.path.map(String).join('.') || undefined, message: i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.message });
      }
      continue;
    }
    const feed = parsed.data as FeedDefinition;
    const clash = names.get(feed.name);
    if (clash) {
      issues.push({ file: shown, line: lineOf(source, exportName, feed.name, 'name'), subject, path: 'name', message: `feed name already used by export ${clash}` });
      continue;
    }
    names.set(feed.name, exportName);
    feeds.push(feed);
  }
  return { feeds, issues };
}
