// Loading campaign files: import every campaigns/*.ts (tsx runs TypeScript directly),
// validate each default export, and report every problem at once with file, campaign and
// field. Files named `segments.ts` or starting with `_` are shared libraries, not campaigns;
// `feeds.ts` holds the content feeds (read by the content stage).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidInputError, type InputIssue } from '../errors.ts';
import { ROOT_DIR } from '../store/index.ts';
import type { SegmentNode } from '../audience/segment.ts';
import type { ProgramTable } from '../audience/programs.ts';
import { PROGRAMS_FILE, programsError, readPrograms } from './programs.ts';
import { campaignSchema, kindOf } from './kinds/index.ts';
import { formatPath } from './schema.ts';
import type { CampaignDefinition, LoadedCampaign } from './types.ts';

export function isCampaignFile(name: string): boolean {
  return name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.startsWith('_') && name !== 'segments.ts' && name !== PROGRAMS_FILE && name !== 'feeds.ts' && !name.endsWith('.test.ts');
}

export function displayPath(file: string): string {
  const rel = relative(ROOT_DIR, file);
  return rel.startsWith('..') ? file : rel;
}

/** Import a TypeScript module fresh (the mtime query defeats the module cache after an edit). */
export async function importFresh(file: string): Promise<Record<string, unknown>> {
  // the query ends in ".ts" so Vite (tests) still treats the module as TypeScript
  const url = `${pathToFileURL(file).href}?v=${Math.round(statSync(file).mtimeMs * 1000)}&lang.ts`;
  return (await import(url)) as Record<string, unknown>;
}

/** The step ids a campaign sends, in order (its kind's messages). */
export function stepIdsOf(def: CampaignDefinition): string[] {
  return kindOf(def).messages(def).map((m) => m.step);
}

/** JSON with sorted keys, so the version hash does not depend on property order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

export function definitionVersion(def: CampaignDefinition): string {
  return createHash('sha256').update(stableJson(def)).digest('hex').slice(0, 12);
}

/** Best-effort source line for an issue path: the step's `id` line, then the field's key. */
function lineOf(source: string, def: Record<string, unknown>, path: readonly PropertyKey[]): number | undefined {
  const lines = source.split('\n');
  let from = 0;
  let rest = path;
  if (path[0] === 'steps' && typeof path[1] === 'number') {
    const id = (def.steps as Array<{ id?: unknown }> | undefined)?.[path[1]]?.id;
    if (typeof id === 'string') {
      const at = lines.findIndex((l) => new RegExp(`\\bid:\\s*['"\`]${id}['"\`]`).test(l));
      if (at >= 0) from = at;
    }
    rest = path.slice(2);
  }
  const keys = rest.filter((p): p is string => typeof p === 'string' && p !== 'node' && p !== 'of');
  for (let k = keys.length - 1; k >= 0; k--) {
    const re = new RegExp(`\\b${keys[k]}\\s*:`);
    for (let i = from; i < lines.length; i++) if (re.test(lines[i] ?? '')) return i + 1;
  }
  return from > 0 ? from + 1 : undefined;
}

/** Every `where.program(...)` name in the campaign's segments, with its field path. */
function programRefs(def: CampaignDefinition): Array<{ program: string; path: string }> {
  const out: Array<{ program: string; path: string }> = [];
  const walk = (node: SegmentNode | undefined, path: string): void => {
    if (!node) return;
    if (node.op === 'program') node.in.forEach((program, i) => out.push({ program, path: `${path}.in[${i}]` }));
    if (node.op === 'and' || node.op === 'or') node.of.forEach((n, i) => walk(n, `${path}.of[${i}]`));
    if (node.op === 'not') walk(node.of, `${path}.of`);
  };
  walk(def.audience?.node, 'audience.node');
  for (const c of kindOf(def).conditions?.(def) ?? []) walk(c.node, c.path);
  out.push(...(kindOf(def).programRefs?.(def) ?? []));
  return out;
}

/** Line of the first quoted occurrence of `value` (a misspelled program sits inside `where.program(...)`). */
function lineOfValue(source: string, value: string): number | undefined {
  const at = source.split('\n').findIndex((l) => l.includes(`'${value}'`) || l.includes(`"${value}"`) || l.includes(`\`${value}\``));
  return at >= 0 ? at + 1 : undefined;
}

/**
 * Validate one default export; returns the loaded campaign or the issues found. With
 * `programs` (always, when loading a project) program names must be declared ones.
 */
export function validateDefinition(raw: unknown, file: string, source = '', programs?: ProgramTable): { campaign?: LoadedCampaign; issues: InputIssue[] } {
  const shown = displayPath(file);
  const subject = raw && typeof raw === 'object' && typeof (raw as { name?: unknown }).name === 'string' ? (raw as { name: string }).name : basename(file, '.ts');
  if (!raw || typeof raw !== 'object') {
    return { issues: [{ file: shown, subject, message: 'the file must `export default defineCampaign({...})`' }] };
  }
  const parsed = campaignSchema().safeParse(raw);
  if (!parsed.success) {
    return {
      issues: parsed.error.issues.map((i) => ({
        file: shown,
        line: lineOf(source, raw as Record<string, unknown>, i.path),
        subject,
        path: formatPath(i.path) || undefined,
        message: i.message,
      })),
    };
  }
  const definition = parsed.data as CampaignDefinition;
  if (programs) {
    const known = Object.keys(programs);
    const unknown = programRefs(definition).filter((r) => !known.includes(r.program));
    if (unknown.length) {
      return {
        issues: unknown.map((r) => ({
          file: shown,
          line: lineOfValue(source, r.program),
          subject,
          path: r.path,
          message: `unknown program ${JSON.stringify(r.program)} (declared in ${PROGRAMS_FILE}: ${known.join(', ')})`,
        })),
      };
    }
  }
  return {
    issues: [],
    campaign: {
      name: definition.name, kind: definition.kind, file: shown, version: definitionVersion(definition), steps: stepIdsOf(definition), definition,
      ...(programs ? { programs } : {}),
    },
  };
}

/** Import and validate `<dir>/programs.ts`; throws PROGRAMS_INVALID naming file, line and field. */
export async function loadPrograms(dir: string): Promise<ProgramTable> {
  const { programs, issues } = await readPrograms(dir, displayPath, importFresh);
  if (!programs) throw programsError(issues);
  return programs;
}

/**
 * Import and validate the programs and every campaign file in `dir`; throws CAMPAIGNS_INVALID
 * listing all issues. Each campaign carries the programs it was checked against.
 */
export async function loadCampaigns(dir: string): Promise<LoadedCampaign[]> {
  const abs = resolve(dir);
  let names: string[];
  try {
    names = readdirSync(abs).filter(isCampaignFile).sort();
  } catch (e) {
    throw new InvalidInputError('CAMPAIGNS_INVALID', 'Could not read the campaigns directory:', [{ file: displayPath(abs), message: (e as Error).message }]);
  }
  const declared = await readPrograms(abs, displayPath, importFresh);
  const issues: InputIssue[] = [...declared.issues];
  const campaigns: LoadedCampaign[] = [];
  const byName = new Map<string, string>();
  for (const name of names) {
    const file = join(abs, name);
    let mod: Record<string, unknown>;
    try {
      mod = await importFresh(file);
    } catch (e) {
      issues.push({ file: displayPath(file), message: `could not load: ${(e as Error).message}` });
      continue;
    }
    const result = validateDefinition(mod.default, file, readFileSync(file, 'utf8'), declared.programs);
    issues.push(...result.issues);
    if (!result.campaign) continue;
    const other = byName.get(result.campaign.name);
    if (other) {
      issues.push({ file: result.campaign.file, subject: result.campaign.name, path: 'name', message: `campaign name already used in ${other}` });
      continue;
    }
    byName.set(result.campaign.name, result.campaign.file);
    campaigns.push(result.campaign);
  }
  if (issues.length > 0) {
    throw new InvalidInputError('CAMPAIGNS_INVALID', `${issues.length} problem(s) in campaign files:`, issues, 'Fix the fields named above; `flywheel validate` re-checks every file.');
  }
  return campaigns;
}
