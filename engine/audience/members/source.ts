// Reading a member file: CSV is streamed row by row (memory stays flat however long the file),
// JSON is one array read whole. Before any row is read the file is sniffed, so an empty file,
// a binary file (a spreadsheet saved as .csv, say) or a semicolon-separated export gets a
// message a person can act on instead of a parser's complaint about row 1.
import { createReadStream, openSync, readSync, closeSync, readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'csv-parse';
import { InvalidInputError } from '../../errors.ts';
import { csvRecordToInput } from './rows.ts';

export interface SourceRow {
  line: number;
  input: Record<string, unknown>;
  /** set when the row cannot be a member at all (e.g. a JSON item that is not an object) */
  problem?: string;
}

const EXPECTED_HEADER = 'email,name,program,…';
const SNIFF_BYTES = 64 * 1024;

function fileError(shownAs: string, summary: string, message: string, line?: number): InvalidInputError {
  return new InvalidInputError('MEMBERS_FILE_INVALID', summary, [{ file: shownAs, line, message }]);
}

/** The first bytes of the file; throws a readable error when it cannot be opened. */
function readHead(file: string, shownAs: string): Buffer {
  let fd: number;
  try {
    if (statSync(file).isDirectory()) throw Object.assign(new Error('dir'), { code: 'EISDIR' });
    fd = openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a folder, not a file' : (e as Error).message;
    throw fileError(shownAs, 'The member file cannot be read:', why);
  }
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    return buf.subarray(0, readSync(fd, buf, 0, SNIFF_BYTES, 0));
  } finally {
    closeSync(fd);
  }
}

/** A short, printable rendering of bytes: text as is, anything else as \xNN. */
export function readableExcerpt(bytes: Buffer, max = 24): string {
  let out = '';
  for (const b of bytes.subarray(0, max)) out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return `"${out}"${bytes.length > max ? '…' : ''}`;
}

const KNOWN_BINARIES: Array<[string, string]> = [
  ['504b0304', 'a ZIP archive (an .xlsx or .ods spreadsheet is one): save it as CSV'],
  ['d0cf11e0', 'an old Excel/Office file: save it as CSV'],
  ['25504446', 'a PDF'],
  ['1f8b', 'a gzip file: decompress it first'],
];

function rejectBinary(head: Buffer, shownAs: string): void {
  const text = head.toString('utf8');
  // A NUL byte, or invalid UTF-8 in the first block (not merely a multi-byte char cut at the edge).
  const replacement = text.slice(0, -4).includes('\uFFFD');
  if (!head.includes(0) && !replacement) return;
  const hex = head.subarray(0, 4).toString('hex');
  const kind = KNOWN_BINARIES.find(([magic]) => hex.startsWith(magic))?.[1];
  throw fileError(shownAs, 'The member file is not a text file:', `it starts with ${readableExcerpt(head)}${kind ? `, which looks like ${kind}` : ''}; expected UTF-8 CSV (header ${EXPECTED_HEADER}) or a JSON array`);
}

/** The delimiter of a CSV header line: the one of , ; tab that splits it into the most columns. */
export function detectDelimiter(headerLine: string): ',' | ';' | '\t' {
  const count = (d: string) => headerLine.split(d).length - 1;
  const candidates = [',', ';', '\t'] as const;
  let best: ',' | ';' | '\t' = ',';
  for (const d of candidates) if (count(d) > count(best)) best = d;
  return best;
}

/**
 * Check the file and return a function that iterates its rows (callable more than once:
 * import validates every row in a first pass and writes in a second).
 */
export function openMemberFile(file: string, shownAs = file): { rows: () => AsyncIterable<SourceRow>; format: 'csv' | 'json' } {
  const ext = extname(file).toLowerCase();
  if (ext !== '.csv' && ext !== '.json') throw fileError(shownAs, 'Unsupported member file type:', `expected .csv or .json, got "${ext || 'no extension'}"`);
  const head = readHead(file, shownAs);
  if (head.toString('utf8').replace(/^\uFEFF/, '').trim() === '') {
    throw fileError(shownAs, 'The member file is empty:', ext === '.csv' ? `expected a header line (${EXPECTED_HEADER}) and one row per member` : 'expected a JSON array of members');
  }
  rejectBinary(head, shownAs);
  if (ext === '.json') return { format: 'json', rows: () => jsonRows(file, shownAs) };
  const firstLine = head.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const delimiter = detectDelimiter(firstLine);
  return { format: 'csv', rows: () => csvRows(file, shownAs, delimiter) };
}

async function* csvRows(file: string, shownAs: string, delimiter: string): AsyncIterable<SourceRow> {
  const parser = createReadStream(file).pipe(parse({ columns: true, skip_empty_lines: true, bom: true, info: true, trim: false, delimiter }));
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      yield { line: info.lines, input: csvRecordToInput(record) };
    }
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw fileError(shownAs, 'The member file is not valid CSV:', err.message, err.lines);
  }
}

/** Line of each top-level array element in a JSON text (1-based), by scanning for depth-1 values. */
export function jsonElementLines(text: string): number[] {
  const lines: number[] = [];
  let depth = 0;
  let line = 1;
  let inString = false;
  let expectValue = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\n') line++;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (depth === 1 && expectValue && !/[\s,\]]/.test(ch)) {
      lines.push(line);
      expectValue = false;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') {
      depth++;
      if (depth === 1) expectValue = true;
    } else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 1) expectValue = true;
  }
  return lines;
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `the string ${JSON.stringify(value.length > 30 ? `${value.slice(0, 30)}…` : value)}` : `a ${typeof value}`;
}

async function* jsonRows(file: string, shownAs: string): AsyncIterable<SourceRow> {
  const text = readFileSync(file, 'utf8');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw fileError(shownAs, 'The member file is not valid JSON:', (e as Error).message);
  }
  if (!Array.isArray(data)) throw fileError(shownAs, 'The member file must hold a JSON array of members:', `top level is ${describeJson(data)}, not an array`, 1);
  const lines = jsonElementLines(text);
  for (const [i, item] of data.entries()) {
    const line = lines[i] ?? 1;
    if (item && typeof item === 'object' && !Array.isArray(item)) yield { line, input: item as Record<string, unknown> };
    else yield { line, input: {}, problem: `item ${i + 1} is not an object (it is ${describeJson(item)})` };
  }
}
