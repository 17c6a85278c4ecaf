// Quoted-printable for a body that is the same for every recipient of a step except a few
// strings (the recipient token in each tracking URL). The body is cut at those strings; each
// piece between them is encoded once, as if it started a line and ended with a soft break, and
// reused for every recipient from a cache, and only the varying strings are encoded per message.
// Soft breaks decode to nothing, so the decoded body is exactly the input. The result is a list
// of Buffers the SMTP connection writes as they are: no 43 KB body is built per recipient.
// With a body already in pieces (the render stage's shared template text between each
// recipient's values, `encodePieces`), nothing is cut, searched or hashed: each shared piece's
// encoding is kept beside the piece itself and lives as long as its compiled message does.
import type { BodyPieces, SharedText } from '../render/index.ts';
import { encodeQuotedPrintableInto, maxEncodedLength } from './quoted-printable.ts';

const SOFT_BREAK = Buffer.from('=\r\n', 'latin1');
/** cached pieces (keys and encodings) past this many bytes: the cache starts again */
const CACHE_BUDGET_BYTES = 16 * 1024 * 1024;

/** Encoded pieces by their text; open-ended ones (followed by a soft break) and final ones apart. */
const openPieces = new Map<string, Buffer>();
const finalPieces = new Map<string, Buffer>();
let cachedBytes = 0;

let source = Buffer.allocUnsafeSlow(64 * 1024);
let scratch = Buffer.allocUnsafeSlow(256 * 1024);

/** The encoding of one piece, in a Buffer of its own; with `keyed`, also its text as a string of its own. */
function encodePiece(text: string, openEnd: boolean, keyed = true): { key: string; encoded: Buffer } {
  if (source.length < text.length * 3) source = Buffer.allocUnsafeSlow(text.length * 3);
  const bytes = source.write(text, 0, 'utf8');
  const needed = maxEncodedLength(bytes) + SOFT_BREAK.length;
  if (scratch.length < needed) scratch = Buffer.allocUnsafeSlow(needed);
  let o = encodeQuotedPrintableInto(source.subarray(0, bytes), scratch, 0, openEnd);
  if (openEnd && (o === 0 || scratch[o - 1] !== 0x0a)) o += SOFT_BREAK.copy(scratch, o);
  // a copy: neither the key nor the bytes may keep the message they were cut from alive
  return { key: keyed ? source.toString('utf8', 0, bytes) : '', encoded: Buffer.from(scratch.subarray(0, o)) };
}

function cachedPiece(text: string, openEnd: boolean): Buffer {
  const cache = openEnd ? openPieces : finalPieces;
  const hit = cache.get(text);
  if (hit) return hit;
  const { key, encoded } = encodePiece(text, openEnd);
  const size = key.length * 2 + encoded.length;
  if (cachedBytes + size > CACHE_BUDGET_BYTES) {
    openPieces.clear();
    finalPieces.clear();
    cachedBytes = 0;
  }
  cache.set(key, encoded);
  cachedBytes += size;
  return encoded;
}

/** The earliest occurrence at or after `from` of any of `varying`. */
function nextVarying(text: string, varying: readonly string[], from: number): { at: number; length: number } | undefined {
  let best: { at: number; length: number } | undefined;
  for (const v of varying) {
    if (!v) continue;
    const at = text.indexOf(v, from);
    if (at >= 0 && (!best || at < best.at)) best = { at, length: v.length };
  }
  return best;
}

/**
 * Append the quoted-printable encoding of `text` to `out`, as Buffers in order. Pieces between
 * occurrences of `varying` come from the cache; the occurrences themselves are encoded now.
 */
export function encodeSegmented(text: string, varying: readonly string[], out: Buffer[]): void {
  let at = 0;
  for (let next = nextVarying(text, varying, 0); next; next = nextVarying(text, varying, at)) {
    if (next.at > at) out.push(cachedPiece(text.slice(at, next.at), true));
    const end = next.at + next.length;
    // the varying string itself: per recipient, never cached
    out.push(encodePiece(text.slice(next.at, end), end < text.length, false).encoded);
    at = end;
  }
  if (at < text.length || at === 0) out.push(cachedPiece(text.slice(at), false));
}

const sharedOpen = new WeakMap<SharedText, Buffer>();
const sharedFinal = new WeakMap<SharedText, Buffer>();

/** A recipient's own string, encoded into a Buffer of its own (no cache key, no intermediate copies). */
function encodeOwn(text: string, openEnd: boolean): Buffer {
  if (source.length < text.length * 3) source = Buffer.allocUnsafeSlow(text.length * 3);
  const bytes = source.write(text, 0, 'utf8');
  const encoded = Buffer.allocUnsafe(maxEncodedLength(bytes) + SOFT_BREAK.length);
  let o = encodeQuotedPrintableInto(source.subarray(0, bytes), encoded, 0, openEnd);
  if (openEnd && (o === 0 || encoded[o - 1] !== 0x0a)) o += SOFT_BREAK.copy(encoded, o);
  return encoded.subarray(0, o);
}

/**
 * Append the quoted-printable encoding of a body given as pieces to `out`. Shared pieces are
 * encoded the first time they are seen and reused as the same Buffers; a recipient's own strings
 * are encoded now. Each piece but the last ends with a soft break, which decodes to nothing.
 */
export function encodePieces(pieces: BodyPieces, out: Buffer[]): void {
  const last = pieces.length - 1;
  if (last < 0) out.push(cachedPiece('', false));
  for (let i = 0; i <= last; i++) {
    const piece = pieces[i]!;
    const openEnd = i < last;
    if (typeof piece === 'string') {
      out.push(encodeOwn(piece, openEnd));
      continue;
    }
    const cache = openEnd ? sharedOpen : sharedFinal;
    let encoded = cache.get(piece);
    if (encoded === undefined) {
      encoded = encodePiece(piece.text, openEnd, false).encoded;
      cache.set(piece, encoded);
    }
    out.push(encoded);
  }
}

/** Bytes held by the piece cache (tests). */
export function pieceCacheBytes(): number {
  return cachedBytes;
}
