// SMTP transport: pushes each message through a pool of our own pipelining SMTP connections
// (smtp-pool.ts, smtp-connection.ts) and turns SMTP replies and socket failures into
// TransientError / PermanentError, so the sender can decide retry vs give-up without knowing
// SMTP. Messages with attachments still go through nodemailer, which composes them.
import { buildMessageChunks, qpPartHeader } from './mime.ts';
import { encodeQuotedPrintable } from './quoted-printable.ts';
import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { parseConnectionUrl } from 'nodemailer/lib/shared/index.js';
import { PermanentError, TransientError } from '../errors.ts';
import { SmtpConnectionPool } from './smtp-pool.ts';
import { connectTcp } from './smtp-connection.ts';
import type { OutgoingMessage, SendResult, Transport } from './transport.ts';

export interface SmtpTransportOptions {
  /** smtp://user:pass@host:port or smtps://... */
  url: string;
  /** pooled connections kept open (config.SMTP_POOL_SIZE) */
  poolSize: number;
  /** socket / greeting timeouts; defaults suit a real relay, tests lower them */
  timeoutMs?: number;
  /** accept self-signed certificates (local relays); default false */
  allowSelfSigned?: boolean;
  /**
   * The envelope sender (the Return-Path the receiving server records) for one message: a VERP
   * address whose token names the send, so a bounce or complaint says which send it is about.
   * Omitted: the From address.
   */
  returnPath?: (tags: OutgoingMessage['tags']) => string;
}

/** Socket-level failures worth retrying: the relay may be back in a minute. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND',
  'ECONNECTION', 'ESOCKET', 'EDNS', 'ETLS', 'EMAXLIMIT',
]);

interface SmtpLikeError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  rejectedErrors?: SmtpLikeError[];
}

/**
 * Map an SMTP failure to a decision. Policy:
 * - 4xx replies and network/socket errors -> TransientError.
 * - 5xx replies -> PermanentError. `suppress: true` only when the reply says the *address* is bad:
 *   enhanced status 5.1.x (bad mailbox/domain) or 5.2.1 (mailbox disabled); without an enhanced
 *   status, basic codes 550/551/553 (mailbox unavailable / user not local / name not allowed).
 *   Policy/content rejections are not suppressed: 5.7.x (even on a 550), 552 (storage/size) and
 *   554 (transaction failed, usually a spam/policy block) say nothing about the address, so the
 *   member stays mailable and the operator sees the failed record.
 * - auth failures (EAUTH, 530/535) -> PermanentError without suppress: configuration, not the member.
 */
export function classifySmtpError(raw: unknown): TransientError | PermanentError {
  const err = (raw instanceof Error ? raw : new Error(String(raw))) as SmtpLikeError;
  // When the only recipient was rejected nodemailer wraps the RCPT reply; prefer that reply.
  const specific = err.rejectedErrors?.[0] ?? err;
  const code = specific.responseCode ?? err.responseCode;
  const reply = specific.response ?? err.response ?? err.message;
  // a refused login (535 5.7.8) is the relay's configuration, not the member; a 454 "try later" stays transient
  if ((err.code === 'EAUTH' || err.code === 'ENOAUTH' || err.code === 'ECONFIG') && !(typeof code === 'number' && code < 500)) {
    return new PermanentError(`SMTP configuration: ${err.message}`, { cause: err, code: 'SMTP_CONFIG' });
  }
  if (typeof code === 'number') {
    if (code >= 400 && code < 500) return new TransientError(`SMTP ${reply}`, { cause: err, code: 'SMTP_TRANSIENT' });
    if (code >= 500) return new PermanentError(`SMTP ${reply}`, { cause: err, suppress: isHardBounce(code, reply), code: 'SMTP_PERMANENT' });
  }
  if (err.code === 'EMESSAGE' || err.code === 'EENVELOPE') {
    return new PermanentError(`SMTP message rejected: ${err.message}`, { cause: err, code: 'SMTP_PERMANENT' });
  }
  if (err.code && NETWORK_CODES.has(err.code)) return new TransientError(`SMTP network: ${err.message}`, { cause: err, code: 'SMTP_NETWORK' });
  // Unknown failure mode: retrying is bounded by the retry policy, giving up would lose the send.
  return new TransientError(`SMTP unexpected: ${err.message}`, { cause: err, code: 'SMTP_TRANSIENT' });
}

function isHardBounce(code: number, reply: string): boolean {
  const enhanced = /\b5\.(\d{1,3})\.(\d{1,3})\b/.exec(reply);
  if (enhanced) {
    const [, subject, detail] = enhanced;
    return subject === '1' || (subject === '2' && detail === '1');
  }
  return code === 550 || code === 551 || code === 553;
}

/** "250 2.0.0 Ok: queued as 4Xyz" -> "4Xyz"; otherwise the whole reply (still unique enough to trace). */
export function providerIdFromSmtpResponse(response: string | undefined, fallback: string): string {
  if (!response) return fallback;
  const queued = /queued as\s+([^\s;]+)/i.exec(response);
  return queued?.[1] ?? response.trim();
}

function qpPart(contentType: 'text/plain' | 'text/html', body: string): string {
  return `${qpPartHeader(contentType)}${encodeQuotedPrintable(body).toString('latin1')}`;
}

function formatAddress(a: { email: string; name?: string }): { address: string; name: string } {
  return { address: a.email, name: a.name ?? '' };
}

type SocketCallback = (err: Error | null, socket?: { connection: import('node:net').Socket }) => void;

export class SmtpTransport implements Transport {
  readonly name = 'smtp';
  private readonly pool: SmtpConnectionPool;
  private readonly returnPath?: SmtpTransportOptions['returnPath'];
  private readonly parsed: SMTPPool.Options;
  private readonly timeout: number;
  /** the URL's TLS options, with self-signed certificates accepted when configured */
  private readonly tls: SMTPPool.Options['tls'];
  private readonly options: SmtpTransportOptions;
  /** nodemailer, only for messages with attachments (rare; opened on first use) */
  private composer?: nodemailer.Transporter<SMTPPool.SentMessageInfo>;

  constructor(options: SmtpTransportOptions) {
    this.options = options;
    this.returnPath = options.returnPath;
    this.timeout = options.timeoutMs ?? 60_000;
    this.parsed = parseConnectionUrl(options.url) as SMTPPool.Options;
    const secure = this.parsed.secure ?? false;
    this.tls = { ...(this.parsed.tls ?? {}), ...(options.allowSelfSigned ? { rejectUnauthorized: false } : {}) };
    const auth = this.parsed.auth as { user?: string; pass?: string } | undefined;
    this.pool = new SmtpConnectionPool({
      host: this.parsed.host ?? 'localhost',
      port: this.parsed.port ?? (secure ? 465 : 587),
      secure,
      requireTLS: this.parsed.requireTLS,
      ignoreTLS: this.parsed.ignoreTLS,
      auth: auth?.user ? { user: auth.user, pass: auth.pass ?? '' } : undefined,
      tls: this.tls,
      timeoutMs: this.timeout,
      clientName: this.parsed.name,
    }, options.poolSize);
  }

  /** SMTP connections opened so far (the pool keeps them for the whole send). */
  get connectionsOpened(): number {
    return this.pool.opened;
  }

  async send(message: OutgoingMessage): Promise<SendResult> {
    const from = this.returnPath ? this.returnPath(message.tags) : message.from.email;
    if (message.attachments?.length) return this.sendComposed(message, from);
    let response: string;
    try {
      // The message as a few Buffers (mime.ts), the shared body pieces among them, written at once.
      response = await this.pool.send(from, message.to.email, buildMessageChunks(message));
    } catch (err) {
      throw classifySmtpError(err);
    }
    return { providerId: providerIdFromSmtpResponse(response, message.messageId) };
  }

  async close(): Promise<void> {
    this.pool.close();
    this.composer?.close();
  }

  /** Attachments: nodemailer composes, with the bodies pre-encoded. */
  private async sendComposed(message: OutgoingMessage, from: string): Promise<SendResult> {
    let info: SMTPPool.SentMessageInfo;
    try {
      // (`raw` on text/html is supported by nodemailer's MailComposer but missing from its types.)
      info = await this.attachmentMailer().sendMail({
        messageId: `<${message.messageId}>`,
        from: formatAddress(message.from),
        to: formatAddress(message.to),
        envelope: { from, to: message.to.email },
        subject: message.subject,
        text: { raw: qpPart('text/plain', message.text) } as unknown as string,
        html: { raw: qpPart('text/html', message.html) } as unknown as string,
        headers: message.headers,
        attachments: message.attachments!.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
      });
    } catch (err) {
      throw classifySmtpError(err);
    }
    // The pool resolves even when some recipients were refused; with one recipient that means refused.
    if (info.rejected.length > 0 && info.accepted.length === 0) {
      throw classifySmtpError(info.rejectedErrors?.[0] ?? new Error(`recipient refused: ${message.to.email}`));
    }
    return { providerId: providerIdFromSmtpResponse(info.response, message.messageId) };
  }

  private attachmentMailer(): nodemailer.Transporter<SMTPPool.SentMessageInfo> {
    if (this.composer) return this.composer;
    const timeout = this.timeout;
    this.composer = nodemailer.createTransport({
      ...this.parsed,
      pool: true,
      maxConnections: Math.max(1, Math.min(2, this.options.poolSize)),
      maxMessages: Infinity,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      tls: this.tls,
      // our TCP_NODELAY socket; nodemailer does the greeting and any TLS on it
      getSocket: (o: { host?: string; port?: number; secure?: boolean }, cb: SocketCallback) => {
        connectTcp(o.host ?? 'localhost', o.port ?? (o.secure ? 465 : 587), timeout).then((connection) => cb(null, { connection }), (err: Error) => cb(err));
      },
    } as SMTPPool.Options);
    // idle-connection failures surface again on the next send, classified; only keep the process alive here
    this.composer.on('error', () => {});
    return this.composer;
  }
}

export function createSmtpTransport(options: SmtpTransportOptions): SmtpTransport {
  return new SmtpTransport(options);
}
