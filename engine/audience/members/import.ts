// `flywheel members import FILE`: CSV or JSON rows -> validated, keyed writes by email.
// Two passes so memory stays flat: the first streams the file and validates every row (nothing
// is written if any row is bad, unless skipInvalid), keeping the validated rows on disk
// (spill.ts); the second reads them back and writes them in batches. Writes are keyed by the
// address, so re-running an interrupted import converges on the same result.
import { InvalidInputError, type InputIssue } from '../../errors.ts';
import { systemClock } from '../../clock.ts';
import type { Store } from '../../store/index.ts';
import { forgottenAddresses, suppress } from '../../ledger/index.ts';
import type { ProgramTable } from '../programs.ts';
import { memberRowSchema, memberUpdate } from './rows.ts';
import { openMemberFile, type SourceRow } from './source.ts';
import { RowSpill } from './spill.ts';
import { writeMemberBatch, type MemberWrite } from './write.ts';

export { openMemberFile, type SourceRow } from './source.ts';

export interface ImportOptions {
  /** the declared programs (campaigns/programs.ts): a row must name one; it gives new members their default time zone */
  programs: ProgramTable;
  /** import the good rows and report the bad ones instead of rejecting the file */
  skipInvalid?: boolean;
  /** called after each written batch */
  onProgress?: (done: number, total: number) => void;
  batchSize?: number;
  /** shown in issues instead of the absolute path */
  displayName?: string;
  /** the installation secret: rows whose address was erased before are imported unsubscribed */
  secret?: string;
  /** creation/update time stamped on members (default: the system clock) */
  now?: Date;
}

export interface ImportResult {
  rows: number;
  created: number;
  updated: number;
  /** of the updated rows, those that already matched what was stored (nothing written) */
  unchanged: number;
  /** problems with bad rows (several per row possible): empty unless skipInvalid; at most MAX_LISTED_ISSUES */
  skipped: InputIssue[];
  /** rows whose address was erased before: imported unsubscribed */
  keptSuppressed: number;
  /** how many rows were skipped */
  skippedRows: number;
}

/** Beyond this many problems the list is cut short (with a count): a wrong file should not flood the terminal. */
const MAX_LISTED_ISSUES = 200;

/** Batches written at the same time (see pass 2). */
const WRITES_IN_FLIGHT = 2;

/** Validate one row: its write, or the problems with it. */
function checkRow({ line, input, problem }: SourceRow, shown: string, programs: ProgramTable): MemberWrite | InputIssue[] {
  if (problem) return [{ file: shown, line, message: problem }];
  const parsed = memberRowSchema.safeParse(input);
  if (parsed.success) {
    const { program, email } = parsed.data;
    if (Object.hasOwn(programs, program)) return memberUpdate(parsed.data);
    return [{ file: shown, line, subject: email, path: 'program', message: `unknown program ${JSON.stringify(program)} (declared in campaigns/programs.ts: ${Object.keys(programs).join(', ')})` }];
  }
  const subject = typeof input.email === 'string' && input.email ? input.email : `row ${line}`;
  return parsed.error.issues.map((i) =>
    i.code === 'unrecognized_keys'
      ? { file: shown, line, subject, message: `${i.message} (attribute columns start with "attr."; columns are separated by commas or semicolons)` }
      : { file: shown, line, subject, path: i.path.join('.') || undefined, message: i.message },
  );
}

interface Survey {
  rows: number;
  good: number;
  issues: InputIssue[];
  badRows: number;
  issueCount: number;
}

/** Pass 1: validate every row and find duplicate addresses; the good rows go to `spill`, only the addresses stay in memory. */
async function survey(rows: AsyncIterable<SourceRow>, shown: string, programs: ProgramTable, spill: RowSpill<MemberWrite>): Promise<Survey> {
  const s: Survey = { rows: 0, good: 0, issues: [], badRows: 0, issueCount: 0 };
  const firstLine = new Map<string, number>();
  const note = (issues: InputIssue[]) => {
    s.badRows++;
    s.issueCount += issues.length;
    for (const i of issues) if (s.issues.length < MAX_LISTED_ISSUES) s.issues.push(i);
  };
  for await (const row of rows) {
    s.rows++;
    const checked = checkRow(row, shown, programs);
    if (Array.isArray(checked)) { note(checked); continue; }
    const seen = firstLine.get(checked.email);
    if (seen !== undefined) { note([{ file: shown, line: row.line, subject: checked.email, path: 'email', message: `duplicate email in file (first on line ${seen})` }]); continue; }
    firstLine.set(checked.email, row.line);
    spill.push(checked);
    s.good++;
  }
  return s;
}

export async function importMembers(store: Store, file: string, opts: ImportOptions): Promise<ImportResult> {
  const shown = opts.displayName ?? file;
  const source = openMemberFile(file, shown);
  const size = opts.batchSize ?? 1000;
  const spill = new RowSpill<MemberWrite>(size);
  try {
    return await importSurveyed(store, spill, await survey(source.rows(), shown, opts.programs, spill), source.format, shown, opts);
  } finally {
    spill.dispose();
  }
}

async function importSurveyed(store: Store, spill: RowSpill<MemberWrite>, s: Survey, format: 'csv' | 'json', shown: string, opts: ImportOptions): Promise<ImportResult> {
  if (s.rows === 0) {
    throw new InvalidInputError('MEMBERS_FILE_INVALID', 'The member file has no members:', [{ file: shown, message: format === 'csv' ? 'only a header line; add one row per member below it' : 'the array is empty' }]);
  }
  const more = s.issueCount - s.issues.length;
  const listed = more > 0 ? [...s.issues, { file: shown, message: `… and ${more} more problem(s)` }] : s.issues;
  if (s.issueCount && !opts.skipInvalid) {
    throw new InvalidInputError('MEMBERS_IMPORT_INVALID', `${s.issueCount} problem(s) in ${shown}; nothing was imported:`, listed, 'Fix the rows above, or pass --skip-invalid to import only the valid rows.');
  }

  const now = opts.now ?? systemClock.now();
  const result: ImportResult = { rows: s.rows, created: 0, updated: 0, unchanged: 0, keptSuppressed: 0, skipped: listed, skippedRows: s.badRows };
  let done = 0;
  // an address erased before comes back unsubscribed (and suppressed): its keyed hash outlived the erasure
  const wasErased = opts.secret ? await forgottenAddresses(store, opts.secret) : () => false;
  const write = async (rows: MemberWrite[]) => {
    const erasedBefore = rows.filter((w) => wasErased(w.email));
    for (const row of erasedBefore) row.set.unsubscribedAt ??= now;
    // a new member without a time zone gets their program's
    const outcome = await writeMemberBatch(store, rows, now, (w) => ({ timezone: opts.programs[w.set.program as string]?.timezone }));
    result.created += outcome.created;
    result.updated += outcome.updated;
    result.unchanged += outcome.unchanged;
    for (const row of erasedBefore) await suppress(store, row.email, 'unsubscribed', now, { detail: 'erased before; imported again' });
    result.keptSuppressed += erasedBefore.length;
    done += rows.length;
    opts.onProgress?.(done, s.good);
  };
  // Pass 2: the validated rows, a batch at a time. Up to WRITES_IN_FLIGHT batches are at the
  // database at once, so it always has the next one while this process builds the one after
  // (each side was idle half the time with one). Memory stays at a few batches. Batches may land
  // out of file order: no two hold the same address (pass 1 rejects duplicates).
  const inFlight = new Set<Promise<void>>();
  let failed: { error: unknown } | undefined;
  for (const rows of spill.batches()) {
    while (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight);
    if (failed) break;
    const writing: Promise<void> = write(rows).catch((error: unknown) => { failed ??= { error }; }).finally(() => inFlight.delete(writing));
    inFlight.add(writing);
  }
  await Promise.all(inFlight);
  if (failed) throw failed.error;
  return result;
}
