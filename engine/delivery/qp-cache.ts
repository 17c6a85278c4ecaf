// Quoted-printable encoding, compiled once like the templates are. nodemailer encodes every
// message body byte by byte in JavaScript (about 3 ms for a 43 KB newsletter here), yet the
// bodies of one step differ between recipients only on the few lines that carry their links.
// QP lines are independent of each other (hard line breaks stay line breaks), so each distinct
// line is encoded once and reused; a recipient pays only for the lines that are theirs, and
// those (mostly ASCII) are encoded by a fast path that copies runs of safe characters.

const MAX_LINE = 76;
/** longer source lines are not cached (see encode) */
const MAX_CACHED_LINE = 1000;
/** printable ASCII except "=", plus space and tab: copied as they are (RFC 2045 6.7 rules 1-3) */
const SAFE = /^[\t\x20-\x3c\x3e-\x7e]*$/;

export class QuotedPrintableCache {
  private lines = new Map<string, string>();

  /** `maxLines` bounds memory: the cache is simply emptied when it fills (steps come in runs). */
  constructor(private readonly maxLines = 50_000) {}

  /** The QP encoding of `body`, with CRLF line breaks. */
  encode(body: string): string {
    const source = body.split('\n');
    const out: string[] = new Array(source.length);
    for (let i = 0; i < source.length; i++) {
      let line = source[i]!;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      // Long lines (minified HTML puts whole sections on one) usually carry a recipient's links, so
      // they differ per message: encode them directly (the fast path copies safe runs) and keep the
      // cache for the short lines that repeat, so it never holds copies of whole messages.
      if (line.length > MAX_CACHED_LINE) { out[i] = encodeLine(line); continue; }
      let encoded = this.lines.get(line);
      if (encoded === undefined) {
        encoded = encodeLine(line);
        if (this.lines.size >= this.maxLines) this.lines.clear();
        // `line` is a slice of the whole message and would keep all of it alive as a key: copy it.
        this.lines.set(Buffer.from(line, 'utf8').toString('utf8'), encoded);
      }
      out[i] = encoded;
    }
    return out.join('\r\n');
  }

  /** A complete MIME part for nodemailer's `raw` option: headers, blank line, encoded body. */
  part(contentType: 'text/plain' | 'text/html', body: string): string {
    return `Content-Type: ${contentType}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${this.encode(body)}`;
  }
}

/** One line (no line break inside) -> QP, soft-wrapped at 76 characters. */
export function encodeLine(line: string): string {
  let encoded = SAFE.test(line) ? line : encodeBytes(Buffer.from(line, 'utf8'));
  // Whitespace at the end of a line would be stripped in transit: encode it (rule 3).
  const last = encoded.charCodeAt(encoded.length - 1);
  if (last === 0x20 || last === 0x09) encoded = `${encoded.slice(0, -1)}=${last === 0x20 ? '20' : '09'}`;
  return softWrap(encoded);
}

function encodeBytes(bytes: Buffer): string {
  let out = '';
  let runStart = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if ((b >= 0x20 && b <= 0x7e && b !== 0x3d) || b === 0x09) continue;
    out += bytes.toString('latin1', runStart, i) + (b < 0x10 ? '=0' : '=') + b.toString(16).toUpperCase();
    runStart = i + 1;
  }
  return out + bytes.toString('latin1', runStart);
}

/** Soft line breaks ("=" at the end) so no line exceeds 76 characters, never inside an "=XX". */
function softWrap(s: string): string {
  if (s.length <= MAX_LINE) return s;
  const parts: string[] = [];
  let i = 0;
  while (s.length - i > MAX_LINE) {
    let end = i + MAX_LINE - 1;
    if (s[end - 1] === '=') end -= 1;
    else if (s[end - 2] === '=') end -= 2;
    parts.push(`${s.slice(i, end)}=`);
    i = end;
  }
  parts.push(s.slice(i));
  return parts.join('\r\n');
}
