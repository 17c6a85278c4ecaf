// The header block of a message the SMTP transport builds itself (mime.ts). Every line is what
// nodemailer's MimeNode writes for it (its own address and RFC 2047 encoders, folded at 76), but
// a MimeNode is no longer built per message: each header remembers its last value and line, so
// the headers every recipient of a step shares (From, Subject, List-Unsubscribe-Post, campaign
// and step) are encoded once, and only To, Message-ID, Date and the recipient's list headers
// are encoded per message.
import MimeNode from 'nodemailer/lib/mime-node/index.js';
import mimeFuncs from 'nodemailer/lib/mime-funcs/index.js';
import { systemClock } from '../clock.ts';
import type { OutgoingMessage } from './transport.ts';

interface HeaderEncoder {
  _normalizeHeaderKey(key: string): string;
  _encodeHeaderValue(key: string, value: unknown): string;
}

// only its encoders are used; they read no per-message state
const encoder = new MimeNode('text/plain') as unknown as HeaderEncoder;

/** Headers MimeNode writes itself or treats specially: a custom one of these goes the slow, exact way. */
const OWN_HEADERS = new Set(['From', 'To', 'Subject', 'Message-ID', 'Date', 'MIME-Version', 'Content-Type', 'Content-Transfer-Encoding', 'Content-Disposition', 'Bcc']);

const normalizedKeys = new Map<string, string>();
const lastLines = new Map<string, { value: string; line: string }>();

function normalizedKey(key: string): string {
  let k = normalizedKeys.get(key);
  if (k === undefined) {
    if (normalizedKeys.size > 256) normalizedKeys.clear();
    k = encoder._normalizeHeaderKey(key);
    normalizedKeys.set(key, k);
  }
  return k;
}

/** One header as MimeNode's buildHeaders writes it ('' when it writes nothing); `memo` identifies the value. */
function headerLine(key: string, value: unknown, memo: string): string {
  const last = lastLines.get(key);
  if (last !== undefined && last.value === memo) return last.line;
  const encoded = encoder._encodeHeaderValue(key, value);
  const line = (encoded || '').toString().trim() ? mimeFuncs.foldLines(`${key}: ${encoded}`, 76) : '';
  if (lastLines.size > 256) lastLines.clear();
  lastLines.set(key, { value: memo, line });
  return line;
}

let lastSecond = NaN;
let lastDateLine = '';

function dateLine(date: Date): string {
  const second = Math.floor(date.getTime() / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastDateLine = `Date: ${date.toUTCString().replace(/GMT/, '+0000')}`;
  }
  return lastDateLine;
}

/** The header block (no trailing blank line) built by a MimeNode, for messages with unusual custom headers. */
function headerBlockByMimeNode(message: OutgoingMessage, boundary: string): string {
  const root = new MimeNode(`multipart/alternative; boundary="${boundary}"`);
  // custom headers first, then the addressing ones (which win), as nodemailer's composer orders them
  root.addHeader(message.headers);
  root.setHeader('From', { name: message.from.name ?? '', address: message.from.email } as never);
  root.setHeader('To', { name: message.to.name ?? '', address: message.to.email } as never);
  root.setHeader('Subject', message.subject);
  root.setHeader('Message-ID', `<${message.messageId}>`);
  if (message.date) root.setHeader('Date', message.date.toUTCString().replace(/GMT/, '+0000'));
  return root.buildHeaders();
}

/** The header block (no trailing blank line) of a multipart/alternative message, in MimeNode's order. */
export function headerBlock(message: OutgoingMessage, boundary: string): string {
  const lines: string[] = [];
  for (const name of Object.keys(message.headers)) {
    const key = normalizedKey(name);
    if (OWN_HEADERS.has(key)) return headerBlockByMimeNode(message, boundary);
    const value = message.headers[name]!;
    lines.push(headerLine(key, value, value));
  }
  const { from, to } = message;
  lines.push(
    headerLine('From', { name: from.name ?? '', address: from.email }, `${from.name ?? ''}\u0000${from.email}`),
    headerLine('To', { name: to.name ?? '', address: to.email }, `${to.name ?? ''}\u0000${to.email}`),
    headerLine('Subject', message.subject, message.subject),
    headerLine('Message-ID', `<${message.messageId}>`, message.messageId),
    dateLine(message.date ?? systemClock.now()),
    'MIME-Version: 1.0',
    mimeFuncs.foldLines(`Content-Type: multipart/alternative; boundary="${boundary}"`, 76),
  );
  return lines.filter((l) => l !== '').join('\r\n');
}
