// `flywheel members import FILE`: CSV or JSON rows -> validated upserts by email.
// Every row is validated before anything is written; with any bad row the whole file is
// rejected (all bad rows listed with their line) unless skipInvalid is set. The write is a
// bulk upsert keyed by the unique lower-cased email, so re-running an interrupted import
// converges on the same result.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { InvalidInputError, type InputIssue } from '../../errors.ts';
import type { Store } from '../../store/index.ts';
import { csvRecordToInput, memberRowSchema, memberUpdate } from './rows.ts';

export interface SourceRow {
  line: number;
  input: Record<string, unknown>;
}

/** Line of each top-level array element in a JSON text (1-based), by scanning for depth-1 openings. */
function jsonElementLines(text: string): number[] {
  const lines: number[] = [];
  let depth = 0;
  let line = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') line++;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') {
      if (depth === 1) lines.push(line);
      depth++;
    } else if (ch === ']' || ch === '}') depth--;
  }
  return lines;
}

/** Read a member file into rows with their source line numbers. Throws MEMBERS_FILE_INVALID when unreadable. */
export function parseMemberFile(file: string, shownAs = file): SourceRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a folder, not a file' : (e as Error).message;
    throw new InvalidInputError('MEMBERS_FILE_INVALID', 'The member file cannot be read:', [{ file: shownAs, message: why }]);
  }
  const ext = extname(file).toLowerCase();
  if (ext === '.json') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new InvalidInputError('MEMBERS_FILE_INVALID', 'The member file is not valid JSON:', [{ file: shownAs, message: (e as Error).message }]);
    }
    if (!Array.isArray(data)) throw new InvalidInputError('MEMBERS_FILE_INVALID', 'The member file must hold a JSON array of members:', [{ file: shownAs, line: 1, message: 'top level is not an array' }]);
    const lines = jsonElementLines(text);
    return data.map((input, i) => ({ line: lines[i] ?? 1, input: input && typeof input === 'object' ? (input as Record<string, unknown>) : { value: input } }));
  }
  if (ext !== '.csv') throw new InvalidInputError('MEMBERS_FILE_INVALID', 'Unsupported member file type:', [{ file: shownAs, message: `expected .csv or .json, got "${ext || 'no extension'}"` }]);
  try {
    const records = parse(text, { columns: true, skip_empty_lines: true, bom: true, info: true, trim: false }) as Array<{ record: Record<string, string>; info: { lines: number } }>;
    return records.map(({ record, info }) => ({ line: info.lines, input: csvRecordToInput(record) }));
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new InvalidInputError('MEMBERS_FILE_INVALID', 'The member file is not valid CSV:', [{ file: shownAs, line: err.lines, message: err.message }]);
  }
}

export interface ImportOptions {
  /** import the good rows and report the bad ones instead of rejecting the file */
  skipInvalid?: boolean;
  /** called after each written batch */
  onProgress?: (done: number, total: number) => void;
  batchSize?: number;
  /** shown in issues instead of the absolute path */
  displayName?: string;
}

export interface ImportResult {
  rows: number;
  created: number;
  updated: number;
  /** problems with bad rows (several per row possible): empty unless skipInvalid */
  skipped: InputIssue[];
  /** how many rows were skipped */
  skippedRows: number;
}

export async function importMembers(store: Store, file: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const shown = opts.displayName ?? file;
  const rows = parseMemberFile(file, shown);
  const issues: InputIssue[] = [];
  const firstLine = new Map<string, number>();
  const updates: Array<ReturnType<typeof memberUpdate>> = [];
  for (const { line, input } of rows) {
    const parsed = memberRowSchema.safeParse(input);
    if (!parsed.success) {
      const subject = typeof input.email === 'string' && input.email ? input.email : `row ${line}`;
      const unknownKeys = parsed.error.issues.filter((i) => i.code === 'unrecognized_keys');
      for (const i of parsed.error.issues) {
        if (i.code === 'unrecognized_keys') continue;
        issues.push({ file: shown, line, subject, path: i.path.join('.') || undefined, message: i.message });
      }
      for (const i of unknownKeys) issues.push({ file: shown, line, subject, message: `${i.message} (attribute columns start with "attr.")` });
      continue;
    }
    const seen = firstLine.get(parsed.data.email);
    if (seen !== undefined) {
      issues.push({ file: shown, line, subject: parsed.data.email, path: 'email', message: `duplicate email in file (first on line ${seen})` });
      continue;
    }
    firstLine.set(parsed.data.email, line);
    updates.push(memberUpdate(parsed.data));
  }
  if (issues.length && !opts.skipInvalid) {
    throw new InvalidInputError('MEMBERS_IMPORT_INVALID', `${issues.length} problem(s) in ${shown}; nothing was imported:`, issues, 'Fix the rows above, or pass --skip-invalid to import only the valid rows.');
  }
  const result: ImportResult = { rows: rows.length, created: 0, updated: 0, skipped: issues, skippedRows: new Set(issues.map((i) => i.line)).size };
  const batch = opts.batchSize ?? 500;
  for (let i = 0; i < updates.length; i += batch) {
    const chunk = updates.slice(i, i + batch);
    // Look existing members up once per batch, then insert the new ones and update the rest by _id:
    // FerretDB (SQLite) answers an upsert-by-email with a scan per row, which is far too slow for big files.
    const existing = await store.models.Member.find({ email: { $in: chunk.map((u) => u.email) } }, { email: 1 }).lean();
    const idByEmail = new Map(existing.map((m) => [m.email, m._id]));
    const fresh = chunk.filter((u) => !idByEmail.has(u.email));
    const known = chunk.filter((u) => idByEmail.has(u.email));
    if (fresh.length) {
      try {
        await store.models.Member.insertMany(fresh.map((u) => expandDotted({ ...u.set, email: u.email })), { ordered: false });
        result.created += fresh.length;
      } catch (e) {
        // a concurrent import created some of these members meanwhile (unique email): apply this
        // file's fields to every fresh row by email; the upsert is idempotent, so counts may be approximate
        if (!(e as { writeErrors?: unknown[] }).writeErrors && (e as { code?: number }).code !== 11000) throw e;
        const inserted = (e as { insertedDocs?: unknown[] }).insertedDocs?.length ?? 0;
        for (const u of fresh) await store.models.Member.updateOne({ email: u.email }, { $set: u.set }, { upsert: true });
        result.created += inserted;
        result.updated += fresh.length - inserted;
      }
    }
    if (known.length) {
      await store.models.Member.bulkWrite(
        known.map((u) => ({ updateOne: { filter: { _id: idByEmail.get(u.email) }, update: { $set: u.set } } })),
        { ordered: false },
      );
      result.updated += known.length;
    }
    opts.onProgress?.(Math.min(i + batch, updates.length), updates.length);
  }
  return result;
}

/** `{ 'topics.events': false }` -> `{ topics: { events: false } }` for inserts (updates take dotted paths as they are). */
function expandDotted(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split('.');
    let cur = out;
    parts.slice(0, -1).forEach((p) => {
      cur = (cur[p] ??= {}) as Record<string, unknown>;
    });
    cur[parts[parts.length - 1] as string] = value;
  }
  return out;
}
