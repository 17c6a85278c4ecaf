// Reading the reports mail servers send back: delivery status notifications (RFC 3464, a
// multipart/report with report-type=delivery-status) and abuse reports (RFC 5965 ARF,
// report-type=feedback-report). mailparser reads the outer message (headers, encodings); the
// report's own parts are split here, because mailparser folds a message/delivery-status part into
// the message text. Pure: bytes in, facts out; deciding which send it concerns is bounce-intake.ts.
import { simpleParser } from 'mailparser';
import { FlywheelError } from '../errors.ts';
import type { DeliveryReport } from './delivery-reports.ts';

export interface ReportFacts {
  format: 'dsn' | 'arf';
  /** what the report says happened; undefined when it reports a delivery (nothing to do) */
  report?: DeliveryReport;
  /** addresses that may be our VERP address, best first (the report's To, Delivered-To, ARF Original-Mail-From, the original's Return-Path) */
  bounceAddresses: string[];
  /** the Message-ID of the message the report is about, without angle brackets */
  originalMessageId?: string;
  /** the address the report names (DSN Final-Recipient, ARF Original-Rcpt-To) */
  recipient?: string;
}

import { EXPECTED } from './bounce-expected.ts';
export { EXPECTED };

export class UnreadableReportError extends FlywheelError {
  constructor(why: string) {
    super('BOUNCE_REPORT_UNREADABLE', `${why}; expected ${EXPECTED}`);
  }
}

type Fields = Map<string, string>;
interface Part { contentType: string; body: string }

export async function readDeliveryReport(raw: Buffer): Promise<ReportFacts> {
  const mail = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true }).catch((e: Error) => {
    throw new UnreadableReportError(`not a mail message (${e.message})`);
  });
  const ct = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  if (!ct?.value) throw new UnreadableReportError('no Content-Type header');
  if (ct.value.toLowerCase() !== 'multipart/report') throw new UnreadableReportError(`Content-Type is ${ct.value}`);
  const reportType = (ct.params?.['report-type'] ?? '').toLowerCase();
  const boundary = ct.params?.boundary;
  if (!boundary) throw new UnreadableReportError('the multipart/report has no boundary');
  const parts = splitMultipart(raw.toString('latin1'), boundary);
  const original = parts.find((p) => p.contentType === 'message/rfc822' || p.contentType === 'text/rfc822-headers');
  const originalHeaders = original ? fieldGroups(original.body)[0] ?? new Map() : new Map<string, string>();
  const addresses = [header(mail, 'to'), header(mail, 'delivered-to'), header(mail, 'x-original-to')];
  const originalMessageId = angleless(originalHeaders.get('message-id'));

  if (reportType === 'delivery-status') {
    const status = parts.find((p) => p.contentType === 'message/delivery-status' || p.contentType === 'message/global-delivery-status');
    if (!status) throw new UnreadableReportError('the report has no message/delivery-status part');
    const [, ...recipients] = fieldGroups(status.body);
    if (recipients.length === 0) throw new UnreadableReportError('the delivery-status part names no recipient (Final-Recipient/Action/Status)');
    return {
      format: 'dsn', report: dsnVerdict(recipients), originalMessageId,
      bounceAddresses: compact([...addresses, originalHeaders.get('return-path')]),
      recipient: typed(recipients[0]!.get('final-recipient')),
    };
  }
  if (reportType === 'feedback-report') {
    const feedback = parts.find((p) => p.contentType === 'message/feedback-report');
    if (!feedback) throw new UnreadableReportError('the report has no message/feedback-report part');
    const f = fieldGroups(feedback.body)[0] ?? new Map<string, string>();
    const type = (f.get('feedback-type') ?? '').toLowerCase();
    if (!type) throw new UnreadableReportError('the feedback report has no Feedback-Type field');
    return {
      format: 'arf', originalMessageId,
      // abuse, fraud and virus reports are complaints; not-spam and other are not
      report: ['abuse', 'fraud', 'virus'].includes(type) ? { kind: 'complaint', detail: `${type} report from ${f.get('user-agent') ?? 'a mailbox provider'}` } : undefined,
      bounceAddresses: compact([f.get('original-mail-from'), originalHeaders.get('return-path'), ...addresses]),
      recipient: angleless(f.get('original-rcpt-to')),
    };
  }
  throw new UnreadableReportError(`report-type is "${reportType || 'missing'}"`);
}

/** Our messages have one recipient; the worst outcome among the recipients decides. */
export function dsnVerdict(recipients: readonly Fields[]): DeliveryReport | undefined {
  let soft: DeliveryReport | undefined;
  for (const r of recipients) {
    const action = (r.get('action') ?? '').toLowerCase();
    const status = /^\s*([245])\.\d{1,3}\.\d{1,3}/.exec(r.get('status') ?? '')?.[0]?.trim();
    const detail = (r.get('diagnostic-code') ?? r.get('status') ?? action).replace(/\s+/g, ' ').trim();
    if (action === 'failed' && status?.startsWith('5')) return { kind: 'hard-bounce', status, detail };
    if (action === 'failed' && !status) return { kind: 'hard-bounce', detail };
    if (action === 'delayed' || status?.startsWith('4')) soft ??= { kind: 'soft-bounce', status, detail };
  }
  return soft;
}

/** The parts of a multipart body (one level), with their content type and decoded text. */
function splitMultipart(raw: string, boundary: string): Part[] {
  const chunks: string[][] = [];
  let current: string[] | undefined;
  for (const line of raw.slice(headerEnd(raw)).split(/\r?\n/)) {
    const t = line.trimEnd();
    if (t === `--${boundary}` || t === `--${boundary}--`) {
      if (current) chunks.push(current);
      current = t.endsWith('--') && t.length === boundary.length + 4 ? undefined : [];
      if (!current) break;
      continue;
    }
    current?.push(line);
  }
  if (current) chunks.push(current); // a report cut short keeps what arrived
  return chunks.map((lines) => {
    const chunk = lines.join('\n');
    const end = chunk.startsWith('\n') ? 1 : headerEnd(chunk); // a part without headers is text/plain
    const headers = fieldGroups(chunk.slice(0, end))[0] ?? new Map<string, string>();
    const contentType = (headers.get('content-type') ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
    return { contentType, body: decode(chunk.slice(end), headers.get('content-transfer-encoding')) };
  });
}

function headerEnd(text: string): number {
  const m = /\r?\n\r?\n/.exec(text);
  return m ? m.index + m[0].length : text.length;
}

function decode(body: string, encoding = ''): string {
  const e = encoding.trim().toLowerCase();
  if (e === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (e === 'quoted-printable') return Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  return body;
}

/** Header-style fields in blank-line separated groups (RFC 3464 per-message / per-recipient blocks), names lower-cased. */
export function fieldGroups(text: string): Fields[] {
  const groups: Fields[] = [];
  let current: Fields | undefined;
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') { current = undefined; last = undefined; continue; }
    if (/^[ \t]/.test(line) && current && last) { current.set(last, `${current.get(last)} ${line.trim()}`); continue; }
    const m = /^([!-9;-~]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    if (!current) groups.push((current = new Map()));
    last = m[1]!.toLowerCase();
    if (!current.has(last)) current.set(last, m[2]!.trim());
  }
  return groups;
}

/** "rfc822; user@example.org" -> "user@example.org" */
function typed(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const i = value.indexOf(';');
  return angleless(i >= 0 ? value.slice(i + 1) : value);
}

function angleless(value: string | undefined): string | undefined {
  const v = value?.trim().replace(/^<|>$/g, '').trim();
  return v || undefined;
}

function header(mail: { headers: Map<string, unknown> }, name: string): string | undefined {
  const v = mail.headers.get(name) as { text?: string; value?: Array<{ address?: string }> } | string | undefined;
  if (!v) return undefined;
  if (typeof v === 'string') return angleless(v);
  return v.value?.[0]?.address ?? angleless(v.text);
}

function compact(values: Array<string | undefined>): string[] {
  return [...new Set(values.map(angleless).filter((v): v is string => !!v))];
}

