// The programs' application settings, declared under `applications` in campaigns/programs.ts,
// checked at load time with errors naming the file, program and field, like campaign files.
import { join } from 'node:path';
import { z } from 'zod';
import { isValidZone } from '../calendar/business-days.ts';
import { displayPath, importFresh } from '../campaigns/load.ts';
import { PROGRAMS_FILE, programsError, readPrograms } from '../campaigns/programs.ts';
import type { ProgramTable } from '../audience/programs.ts';
import { InvalidInputError, type InputIssue } from '../errors.ts';
import { resolveSpec, type ApplicationSpec, type ResolvedApplicationSpec } from './spec.ts';
import { BASE_FIELDS, HONEYPOT_FIELD, OPTIONAL_FIELDS } from './validate.ts';

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

/** Validate the `applications` of each declared program (campaigns/programs.ts) and fill in defaults. */
export function resolveApplicationSpecs(programs: ProgramTable, file: string): Map<string, ResolvedApplicationSpec> {
  const issues: InputIssue[] = [];
  const out = new Map<string, ResolvedApplicationSpec>();
  for (const [program, def] of Object.entries(programs)) {
    if (!def.applications) continue;
    const parsed = specSchema.safeParse(def.applications);
    if (!parsed.success) {
      for (const i of parsed.error.issues) issues.push({ file, subject: `program ${program}`, path: ['applications', ...i.path].join('.'), message: i.message });
      continue;
    }
    for (const reserved of [...BASE_FIELDS, ...OPTIONAL_FIELDS, HONEYPOT_FIELD]) {
      if (reserved in parsed.data.fields) issues.push({ file, subject: `program ${program}`, path: `applications.fields.${reserved}`, message: `"${reserved}" is ${reserved === HONEYPOT_FIELD ? 'the form\'s robot trap' : 'asked of every applicant already'}; use another name` });
    }
    out.set(program, resolveSpec(program, def.applications as ApplicationSpec, { zone: def.timezone, validity: def.renewalPeriod }));
  }
  if (issues.length) throw new InvalidInputError('APPLICATIONS_INVALID', 'The application settings of the programs are invalid:', issues, `Fix ${file} and run again.`);
  return out;
}

/** The application specs of the programs declared in `<campaignsDir>/programs.ts`. */
export async function loadApplicationSpecs(campaignsDir: string): Promise<Map<string, ResolvedApplicationSpec>> {
  const { programs, issues } = await readPrograms(campaignsDir, displayPath, importFresh);
  if (!programs) throw programsError(issues);
  return resolveApplicationSpecs(programs, displayPath(join(campaignsDir, PROGRAMS_FILE)));
}
