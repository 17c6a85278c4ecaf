// One recipient's RFC 5322 message, built into a single Buffer for the SMTP client's `raw`
// option: nodemailer then composes nothing (no MIME tree of streams, no string-to-Buffer copies,
// no dozen socket writes per message) and only frames it. The header block comes from
// nodemailer's own MimeNode (address and RFC 2047 encoding, folding); the bodies are
// quoted-printable in one pass (quoted-printable.ts), so no line starts with "." and SMTP has
// nothing to dot-stuff. Messages with attachments are left to nodemailer's composer.
import { randomBytes } from 'node:crypto';
import MimeNode from 'nodemailer/lib/mime-node/index.js';
import { encodeQuotedPrintableInto, maxEncodedLength } from './quoted-printable.ts';
import type { OutgoingMessage } from './transport.ts';

let scratch = Buffer.allocUnsafeSlow(256 * 1024);
let source = Buffer.allocUnsafeSlow(128 * 1024);

/** The header block (no trailing blank line) of a multipart/alternative message. */
function headerBlock(message: OutgoingMessage, boundary: string): string {
  const root = new MimeNode(`multipart/alternative; boundary="${boundary}"`);
  // custom headers first, then the addressing ones (which win), as nodemailer's composer orders them
  root.addHeader(message.headers);
  root.setHeader('From', { name: message.from.name ?? '', address: message.from.email } as never);
  root.setHeader('To', { name: message.to.name ?? '', address: message.to.email } as never);
  root.setHeader('Subject', message.subject);
  root.setHeader('Message-ID', `<${message.messageId}>`);
  return root.buildHeaders();
}

/** Bytes of `text` as UTF-8 in the reusable source buffer (valid until the next call). */
function utf8Bytes(text: string): Buffer {
  if (source.length < text.length * 3) source = Buffer.allocUnsafeSlow(text.length * 3);
  return source.subarray(0, source.write(text, 0, 'utf8'));
}

/**
 * The whole message (headers, text part, HTML part) as one Buffer with CRLF line breaks.
 * `boundary` is for tests; by default a random one that cannot occur in quoted-printable
 * ("=_" is never valid QP).
 */
export function buildRawMessage(message: OutgoingMessage, boundary = `=_fw_${randomBytes(12).toString('hex')}`): Buffer {
  if (message.attachments?.length) throw new Error('buildRawMessage: messages with attachments are composed by nodemailer');
  const head = `${headerBlock(message, boundary)}\r\n\r\n`;
  const partHead = (type: string) => `--${boundary}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n`;
  const textHead = partHead('text/plain');
  const htmlHead = `\r\n${partHead('text/html')}`;
  const tail = `\r\n--${boundary}--\r\n`;
  // upper bound: the JS string lengths bound their UTF-8 byte counts by 3x
  const needed = 3 * (head.length + textHead.length + htmlHead.length + tail.length) + maxEncodedLength(3 * message.text.length) + maxEncodedLength(3 * message.html.length);
  if (scratch.length < needed) scratch = Buffer.allocUnsafeSlow(needed);
  let o = scratch.write(head, 0, 'utf8');
  o += scratch.write(textHead, o, 'latin1');
  o = encodeQuotedPrintableInto(utf8Bytes(message.text), scratch, o);
  o += scratch.write(htmlHead, o, 'latin1');
  o = encodeQuotedPrintableInto(utf8Bytes(message.html), scratch, o);
  o += scratch.write(tail, o, 'latin1');
  // one exact-size copy out of the scratch buffer: what the socket writes
  return Buffer.from(scratch.subarray(0, o));
}
