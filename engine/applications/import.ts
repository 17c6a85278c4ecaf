// `flywheel applications import FILE`: applications received elsewhere (an old form, a
// partner's spreadsheet) -> the same intake as the form. Like member import, every row is
// checked first and any bad row rejects the whole file, listing each problem with its line;
// then rows go through storeApplication one by one (keyed, so re-running converges).
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { InvalidInputError, type InputIssue } from '../errors.ts';
import { jsonElementLines } from '../audience/members/source.ts';
import { storeApplication, type ApplicationDeps } from './intake.ts';
import { validateApplication, type ValidApplication } from './validate.ts';
import type { ResolvedApplicationSpec } from './spec.ts';

export interface ApplicationImportResult {
  rows: number;
  created: number;
  updated: number;
  awarded: number;
  declined: number;
}

function readRows(file: string, shown: string): Array<{ line: number; input: Record<string, unknown> }> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InvalidInputError('APPLICATIONS_FILE_INVALID', 'The applications file cannot be read:', [{ file: shown, message: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message }]);
  }
  const ext = extname(file).toLowerCase();
  if (ext === '.json') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new InvalidInputError('APPLICATIONS_FILE_INVALID', 'The applications file is not valid JSON:', [{ file: shown, message: (e as Error).message }]);
    }
    if (!Array.isArray(data)) throw new InvalidInputError('APPLICATIONS_FILE_INVALID', 'The applications file must hold a JSON array:', [{ file: shown, line: 1, message: 'top level is not an array' }]);
    const lines = jsonElementLines(text);
    return data.map((input, i) => ({ line: lines[i] ?? 1, input: input && typeof input === 'object' ? (input as Record<string, unknown>) : { value: input } }));
  }
  if (ext !== '.csv') throw new InvalidInputError('APPLICATIONS_FILE_INVALID', 'Unsupported applications file type:', [{ file: shown, message: `expected .csv or .json, got "${ext || 'no extension'}"` }]);
  try {
    const records = parse(text, { columns: true, skip_empty_lines: true, bom: true, info: true }) as Array<{ record: Record<string, string>; info: { lines: number } }>;
    // an empty CSV cell is "not given", as in the form
    return records.map(({ record, info }) => ({ line: info.lines, input: Object.fromEntries(Object.entries(record).filter(([, v]) => v.trim() !== '')) }));
  } catch (e) {
    throw new InvalidInputError('APPLICATIONS_FILE_INVALID', 'The applications file is not valid CSV:', [{ file: shown, line: (e as { lines?: number }).lines, message: (e as Error).message }]);
  }
}

/** Columns: program, submittedAt (optional ISO date-time; default now), name, email, then the program's fields. */
export async function importApplications(deps: ApplicationDeps, file: string, now: Date, opts: { displayName?: string } = {}): Promise<ApplicationImportResult> {
  const shown = opts.displayName ?? file;
  const rows = readRows(file, shown);
  const issues: InputIssue[] = [];
  const good: Array<{ spec: ResolvedApplicationSpec; value: ValidApplication; at: Date }> = [];
  const firstLine = new Map<string, number>();
  for (const { line, input } of rows) {
    const { program, submittedAt, ...rest } = input;
    const subject = typeof input.email === 'string' && input.email ? input.email : `row ${line}`;
    const spec = typeof program === 'string' ? deps.specs.get(program.trim()) : undefined;
    if (!spec) {
      issues.push({ file: shown, line, subject, path: 'program', message: program ? `unknown program ${JSON.stringify(program)} (taking applications: ${[...deps.specs.keys()].join(', ')})` : 'program is required' });
      continue;
    }
    let at = now;
    if (submittedAt !== undefined) {
      const d = typeof submittedAt === 'string' ? DateTime.fromISO(submittedAt.trim(), { zone: spec.calendar.zone }) : undefined;
      if (!d?.isValid) issues.push({ file: shown, line, subject, path: 'submittedAt', message: `bad date ${JSON.stringify(submittedAt)} (use an ISO date or date-time)` });
      else if (d.toJSDate() > now) issues.push({ file: shown, line, subject, path: 'submittedAt', message: 'is in the future' });
      else at = d.toJSDate();
    }
    const checked = validateApplication(spec, rest);
    if (!checked.ok) {
      for (const [path, message] of Object.entries(checked.errors)) issues.push({ file: shown, line, subject, path, message });
      continue;
    }
    const key = `${spec.program}:${checked.value.email}`;
    const seen = firstLine.get(key);
    if (seen !== undefined) {
      issues.push({ file: shown, line, subject, path: 'email', message: `a second application to ${spec.program} in this file (first on line ${seen})` });
      continue;
    }
    firstLine.set(key, line);
    good.push({ spec, value: checked.value, at });
  }
  if (issues.length) {
    throw new InvalidInputError('APPLICATIONS_IMPORT_INVALID', `${issues.length} problem(s) in ${shown}; nothing was imported:`, issues, 'Fix the rows above and import the file again.');
  }
  const result: ApplicationImportResult = { rows: rows.length, created: 0, updated: 0, awarded: 0, declined: 0 };
  for (const { spec, value, at } of good) {
    const r = await storeApplication(deps, spec, value, at);
    if (r.resubmitted) result.updated++;
    else result.created++;
    if (r.application.status === 'awarded') result.awarded++;
    if (r.application.status === 'declined') result.declined++;
  }
  return result;
}
