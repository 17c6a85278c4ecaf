// Reading the programs' application specs from the user's campaigns folder and checking
// them at load time, with errors naming the file, program and field, like campaign files.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { isValidZone } from '../calendar/business-days.ts';
import { importFresh } from '../campaigns/load.ts';
import { InvalidInputError, type InputIssue } from '../errors.ts';
import { ROOT_DIR } from '../store/index.ts';
import { relative } from 'node:path';
import { resolveSpec, type ApplicationSpec, type ResolvedApplicationSpec } from './spec.ts';
import { BASE_FIELDS, HONEYPOT_FIELD, OPTIONAL_FIELDS } from './validate.ts';

/** The user's file, beside the campaigns (a shared library file: the underscore keeps it out of campaign loading). */
export const APPLICATIONS_FILE = '_applications.ts';

const fieldSchema = z.object({
  kind: z.enum(['text', 'textarea', 'email', 'url', 'select']),
  label: z.string().min(1),
  required: z.boolean().optional(),
  help: z.string().optional(),
  options: z.array(z.union([z.string().min(1), z.object({ value: z.string().min(1), label: z.string().min(1) })])).optional(),
  maxLength: z.number().int().positive().optional(),
  pattern: z.object({ regex: z.instanceof(RegExp), message: z.string().min(1) }).optional(),
}).strict().refine((f) => f.kind !== 'select' || (f.options?.length ?? 0) > 0, { message: 'a select field needs options', path: ['options'] });

const specSchema = z.object({
  fields: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/, 'field names are letters, digits and _ (used as form names)'), fieldSchema),
  rules: z.array(z.object({ name: z.string().min(1), decide: z.custom<(...a: unknown[]) => unknown>((v) => typeof v === 'function', 'must be a function') })).optional(),
  decideWithin: z.number().int().min(1).max(90).optional(),
  calendar: z.object({
    zone: z.string().refine(isValidZone, 'unknown time zone (use an IANA name such as Europe/Berlin)').optional(),
    weekend: z.array(z.number().int().min(1).max(7)).max(6).optional(),
    holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'holidays are local dates "YYYY-MM-DD"')).optional(),
  }).strict().optional(),
  managers: z.array(z.email()).optional(),
  awardValidity: z.object({ years: z.number().int().nonnegative().optional(), months: z.number().int().nonnegative().optional(), days: z.number().int().nonnegative().optional() }).strict().optional(),
  title: z.string().optional(),
  intro: z.string().optional(),
}).strict();

/** Validate a set of program specs; `known` lists the declared programs. */
export function resolveApplicationSpecs(specs: unknown, file: string, known?: readonly string[]): Map<string, ResolvedApplicationSpec> {
  const issues: InputIssue[] = [];
  const out = new Map<string, ResolvedApplicationSpec>();
  if (!specs || typeof specs !== 'object') {
    throw new InvalidInputError('APPLICATIONS_INVALID', 'The application definitions are invalid:', [{ file, message: 'the default export must be defineApplications({ <program>: { fields, rules } })' }]);
  }
  for (const [program, spec] of Object.entries(specs)) {
    if (known && !known.includes(program)) issues.push({ file, subject: program, message: `unknown program (declared: ${known.join(', ')})` });
    const parsed = specSchema.safeParse(spec);
    if (!parsed.success) {
      for (const i of parsed.error.issues) issues.push({ file, subject: program, path: i.path.join('.'), message: i.message });
      continue;
    }
    for (const reserved of [...BASE_FIELDS, ...OPTIONAL_FIELDS, HONEYPOT_FIELD]) {
      if (reserved in parsed.data.fields) issues.push({ file, subject: program, path: `fields.${reserved}`, message: `"${reserved}" is asked of every applicant already; remove it` });
    }
    out.set(program, resolveSpec(program, spec as ApplicationSpec));
  }
  if (issues.length) throw new InvalidInputError('APPLICATIONS_INVALID', 'The application definitions are invalid:', issues, `Fix ${file} and run again.`);
  return out;
}

/** The specs in `<campaignsDir>/_applications.ts`; none when the file does not exist. */
export async function loadApplicationSpecs(campaignsDir: string, known?: readonly string[]): Promise<Map<string, ResolvedApplicationSpec>> {
  const file = join(campaignsDir, APPLICATIONS_FILE);
  if (!existsSync(file)) return new Map();
  const shown = relative(ROOT_DIR, file).startsWith('..') ? file : relative(ROOT_DIR, file);
  let mod: Record<string, unknown>;
  try {
    mod = await importFresh(file);
  } catch (e) {
    throw new InvalidInputError('APPLICATIONS_INVALID', 'The application definitions could not be loaded:', [{ file: shown, message: (e as Error).message }]);
  }
  return resolveApplicationSpecs(mod.default, shown, known);
}
