// Quoted-printable (RFC 2045 6.7) in one pass over bytes, straight into a Buffer. Every recipient
// of a newsletter has a distinct ~43 KB body (their links), so the body is encoded once per
// message; doing it byte by byte in a typed array costs tens of microseconds, where nodemailer's
// string encoder (and our earlier line cache, once minified HTML put whole sections on one line)
// cost over a millisecond and a trail of garbage strings.
// A "." that would start a line is written as "=2E", so SMTP never has to dot-stuff the body.

const MAX_LINE = 76;
const HEX = Buffer.from('0123456789ABCDEF', 'latin1');
const CR = 0x0d;
const LF = 0x0a;
const EQ = 0x3d;
const DOT = 0x2e;

/** 1 for the bytes written as they are anywhere in a line: printable ASCII but "=" */
const PLAIN = new Uint8Array(256);
for (let b = 0x21; b < 0x7f; b++) if (b !== EQ) PLAIN[b] = 1;

let scratch = Buffer.allocUnsafeSlow(64 * 1024);

/** Worst case: every byte as "=XX", plus a soft line break ("=\r\n") per 25 bytes of input. */
export function maxEncodedLength(bytes: number): number {
  return bytes * 3 + Math.ceil(bytes / 25) * 3 + 8;
}

/**
 * Encode `input` (UTF-8 bytes) into `out` from `offset`; returns the offset after the last byte
 * written. `out` must hold maxEncodedLength(input.length) bytes from `offset`. Line breaks ("\n"
 * or "\r\n") become CRLF hard breaks; longer lines get soft breaks, never inside an "=XX".
 * `openEnd`: the caller follows the output with a soft break ("=" CRLF), so the last line keeps
 * a column free for it.
 */
export function encodeQuotedPrintableInto(input: Uint8Array, out: Uint8Array, offset: number, openEnd = false): number {
  const n = input.length;
  let o = offset;
  for (let start = 0; start <= n;) {
    // one source line at a time: its end is found natively, and the byte loop needs no lookahead
    let newline = input.indexOf(LF, start);
    if (newline < 0) newline = n;
    const end = newline > start && newline < n && input[newline - 1] === CR ? newline - 1 : newline;
    let col = 0;
    for (let i = start; i < end; i++) {
      const b = input[i]!;
      // the common case, decided with one table read: a plain byte with room left on the line
      if (PLAIN[b] === 1 && col < MAX_LINE - 1 && (col > 0 || b !== DOT)) {
        out[o++] = b;
        col++;
        continue;
      }
      // with openEnd the input's last line continues after a soft break the caller writes: not a line end
      const last = i === end - 1 && (newline < n || !openEnd);
      // printable ASCII but "=" (and "." opening a line), and space/tab unless the line ends with them (rule 3)
      let literal = (b > 0x20 && b < 0x7f && b !== EQ && (b !== DOT || col > 0)) || ((b === 0x20 || b === 0x09) && !last);
      // soft break ("=" CRLF) when the token would not fit in 76 with the "=" (or without, at the line's end)
      if (col + (literal ? 1 : 3) > (last ? MAX_LINE : MAX_LINE - 1)) {
        out[o++] = EQ;
        out[o++] = CR;
        out[o++] = LF;
        col = 0;
        if (b === DOT) literal = false;
      }
      if (literal) {
        out[o++] = b;
        col++;
      } else {
        out[o++] = EQ;
        out[o++] = HEX[b >> 4]!;
        out[o++] = HEX[b & 15]!;
        col += 3;
      }
    }
    if (newline >= n) break;
    out[o++] = CR;
    out[o++] = LF;
    start = newline + 1;
  }
  return o;
}

/** The quoted-printable encoding of a string's UTF-8 bytes, as ASCII bytes. */
export function encodeQuotedPrintable(text: string): Buffer {
  const source = Buffer.from(text, 'utf8');
  const needed = maxEncodedLength(source.length);
  if (scratch.length < needed) scratch = Buffer.allocUnsafeSlow(needed);
  const end = encodeQuotedPrintableInto(source, scratch, 0);
  return Buffer.from(scratch.subarray(0, end));
}
