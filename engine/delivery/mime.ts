// One recipient's RFC 5322 message, as a few Buffers the SMTP connection writes at once (no
// MIME tree of streams, no per-recipient copy of the shared body). The header block is written
// as nodemailer's MimeNode writes it (mime-headers.ts); the bodies are
// quoted-printable (quoted-printable.ts, qp-segments.ts), so no line starts with "." and SMTP
// has nothing to dot-stuff. Messages with attachments are left to nodemailer's composer.
import { randomBytes } from 'node:crypto';
import { headerBlock } from './mime-headers.ts';
import { encodePieces, encodeSegmented } from './qp-segments.ts';
import type { OutgoingMessage } from './transport.ts';

/** The headers (and blank line) of a UTF-8 quoted-printable body part. */
export function qpPartHeader(contentType: 'text/plain' | 'text/html'): string {
  return `Content-Type: ${contentType}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n`;
}

// Boundaries need only be unique per message and absent from the content: a random prefix per
// process and a counter ("=_" never occurs in quoted-printable).
const boundaryPrefix = `=_fw_${randomBytes(8).toString('hex')}_`;
let boundaryCount = 0;

/**
 * The whole message (headers, text part, HTML part) with CRLF line breaks, as Buffers to write in
 * order. With `message.pieces` (every send the engine renders), the shared template text is
 * encoded once per compiled message; with `message.varying` (a caller that has only whole
 * bodies and knows the strings that differ), the bodies are cut around those strings and the rest
 * comes encoded from a cache (qp-segments.ts).
 * `boundary` is for tests; by default a random one that cannot occur in quoted-printable
 * ("=_" is never valid QP).
 */
export function buildMessageChunks(message: OutgoingMessage, boundary = `${boundaryPrefix}${(++boundaryCount).toString(36)}`): Buffer[] {
  if (message.attachments?.length) throw new Error('buildMessageChunks: messages with attachments are composed by nodemailer');
  const partHead = (type: 'text/plain' | 'text/html') => `--${boundary}\r\n${qpPartHeader(type)}`;
  const chunks: Buffer[] = [Buffer.from(`${headerBlock(message, boundary)}\r\n\r\n${partHead('text/plain')}`, 'utf8')];
  const { pieces } = message;
  const varying = message.varying ?? [];
  if (pieces) encodePieces(pieces.text, chunks);
  else encodeSegmented(message.text, varying, chunks);
  chunks.push(Buffer.from(`\r\n${partHead('text/html')}`, 'latin1'));
  if (pieces) encodePieces(pieces.html, chunks);
  else encodeSegmented(message.html, varying, chunks);
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'));
  return chunks;
}

/** The whole message as one Buffer (tests, and anything that needs it in one piece). */
export function buildRawMessage(message: OutgoingMessage, boundary?: string): Buffer {
  return Buffer.concat(buildMessageChunks(message, boundary));
}
