// The project's programs, declared next to the campaigns in campaigns/programs.ts:
//
//   export const programs = definePrograms({ education: { displayName, url, timezone, topics } });
//   export default programs;
//   declare module '../engine/campaigns/index.ts' { interface Register { programs: typeof programs } }
//
// The `declare module` line hands the names to the type checker (where.program); the loader
// validates the file like a campaign, and campaigns and member imports are checked against it.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import type { ProgramDefinition, ProgramTable } from '../audience/programs.ts';
import { InvalidInputError, type InputIssue } from '../errors.ts';
import { TOPICS } from '../store/models.ts';
import { formatPath } from './schema.ts';

export const PROGRAMS_FILE = 'programs.ts';

/** Declare the project's programs; `export default definePrograms({...})` from campaigns/programs.ts. */
export function definePrograms<const T extends Record<string, ProgramDefinition>>(programs: T): T {
  return programs;
}

const positiveInt = (what: string) => z.number({ error: `${what} must be a number` }).int(`${what} must be a whole number`).nonnegative(`${what} must not be negative`);

const programSchema = z
  .object({
    displayName: z.string({ error: 'displayName is required: what members read, e.g. "Flywheel for Education"' }).trim().min(1, 'displayName must not be empty'),
    url: z.url({ error: 'url must be an absolute URL such as "https://example.org/education"' }),
    timezone: z.string({ error: 'timezone is required (an IANA name such as "Europe/Berlin")' }).refine((v) => IANAZone.isValidZone(v), { error: (i) => `unknown time zone ${JSON.stringify(i.input)} (use an IANA name such as "Europe/Berlin")` }),
    renewalPeriod: z
      .object({ years: positiveInt('years').optional(), months: positiveInt('months').optional(), days: positiveInt('days').optional() })
      .strict()
      .refine((p) => (p.years ?? 0) + (p.months ?? 0) + (p.days ?? 0) > 0, 'a renewal period must be longer than zero (omit it for programs that never expire)')
      .optional(),
    topics: z.array(z.enum(TOPICS, { error: (i) => `unknown topic ${JSON.stringify(i.input)} (topics: ${TOPICS.join(', ')})` }), { error: `topics is required: the topics this program sends (${TOPICS.join(', ')})` }),
    // the applications stage validates its own settings
    applications: z.looseObject({}).optional(),
  })
  .strict();

const tableSchema = z.record(z.string(), programSchema);

/** Name problems, reported beside field problems (zod skips refinements once a value fails). */
function nameIssues(raw: object): Array<{ path: PropertyKey[]; message: string }> {
  const names = Object.keys(raw);
  if (names.length === 0) return [{ path: [], message: 'declare at least one program' }];
  return names
    .filter((name) => !/^[a-z0-9][a-z0-9-]*$/.test(name))
    .map((name) => ({ path: [name], message: 'program name must be lower-case letters, digits and dashes (it is stored on members and used in URLs)' }));
}

/** Line of a program's key, then of the field inside it. */
function lineOf(source: string, path: readonly PropertyKey[]): number | undefined {
  const lines = source.split('\n');
  const [name, field] = path;
  let from = 0;
  if (typeof name === 'string') {
    const at = lines.findIndex((l) => new RegExp(`^\\s*['"]?${name.replace(/[-]/g, '\\-')}['"]?\\s*:`).test(l));
    if (at < 0) return undefined;
    from = at;
    if (typeof field !== 'string') return at + 1;
    for (let i = at; i < lines.length; i++) if (new RegExp(`\\b${field}\\s*:`).test(lines[i] ?? '')) return i + 1;
  }
  return from + 1;
}

/** Validate the default export of a programs file. */
export function validatePrograms(raw: unknown, file: string, source = ''): { programs?: ProgramTable; issues: InputIssue[] } {
  if (!raw || typeof raw !== 'object') {
    return { issues: [{ file, message: 'the file must `export default definePrograms({...})`' }] };
  }
  const parsed = tableSchema.safeParse(raw);
  const found = [...(parsed.success ? [] : parsed.error.issues), ...nameIssues(raw)];
  if (found.length) {
    return {
      issues: found.map((i) => ({
        file,
        line: lineOf(source, i.path),
        subject: typeof i.path[0] === 'string' ? `program ${i.path[0]}` : undefined,
        path: formatPath(i.path.slice(1)) || undefined,
        message: i.message,
      })),
    };
  }
  return { programs: Object.freeze(parsed.data!) as ProgramTable, issues: [] };
}

/** Import and validate `<dir>/programs.ts`; returns the issues instead of throwing (the campaign loader merges them). */
export async function readPrograms(dir: string, shown: (file: string) => string, importFresh: (file: string) => Promise<Record<string, unknown>>): Promise<{ programs?: ProgramTable; issues: InputIssue[] }> {
  const file = join(resolve(dir), PROGRAMS_FILE);
  if (!existsSync(file)) {
    return { issues: [{ file: shown(file), message: 'missing: declare your programs here with `export default definePrograms({ <name>: { displayName, url, timezone, topics } })` (see README, "Programs")' }] };
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importFresh(file);
  } catch (e) {
    return { issues: [{ file: shown(file), message: `could not load: ${(e as Error).message}` }] };
  }
  return validatePrograms(mod.default, shown(file), readFileSync(file, 'utf8'));
}

export function programsError(issues: InputIssue[]): InvalidInputError {
  return new InvalidInputError('PROGRAMS_INVALID', `${issues.length} problem(s) in the programs file:`, issues, 'Fix the fields named above; `flywheel validate` re-checks every file.');
}
