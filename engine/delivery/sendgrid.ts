// SendGrid transport: posts to the v3 Mail Send API through @sendgrid/mail and
// maps HTTP outcomes to TransientError / PermanentError. One request per message: every
// body carries its own recipient token (tracking links, unsubscribe), so no two recipients
// ever share a body and a multi-personalization request would never apply.
import http from 'node:http';
import https from 'node:https';
import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import type { Clock } from '../clock.ts';
import { PermanentError, TransientError } from '../errors.ts';
import type { OutgoingMessage, SendResult, Transport } from './transport.ts';

export interface SendGridTransportOptions {
  apiKey: string;
  /** API origin; defaults to SendGrid's. Tests point it at the local stand-in (config.SENDGRID_API_URL). */
  baseUrl?: string;
  /** per-request timeout; default 30 s */
  timeoutMs?: number;
  /** used only to turn X-RateLimit-Reset (an epoch time) into a wait */
  clock: Clock;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ECONNABORTED', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_NETWORK', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

type Headers = Record<string, string | string[] | number | undefined>;

function header(headers: Headers | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const found = Object.entries(headers).find(([k]) => k.toLowerCase() === name);
  const value = found?.[1];
  return Array.isArray(value) ? value[0] : value === undefined ? undefined : String(value);
}

/**
 * How long the API asked us to wait: Retry-After (seconds or an HTTP date) if present,
 * else X-RateLimit-Reset (epoch seconds, what SendGrid documents for 429). Undefined when neither parses.
 */
export function retryAfterMsFromHeaders(headers: Headers | undefined, now: Date): number | undefined {
  const retryAfter = header(headers, 'retry-after');
  if (retryAfter !== undefined) {
    if (/^\d+(\.\d+)?$/.test(retryAfter.trim())) return Math.round(Number(retryAfter) * 1000);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now.getTime());
  }
  const reset = header(headers, 'x-ratelimit-reset');
  if (reset !== undefined && /^\d+$/.test(reset.trim())) return Math.max(0, Number(reset) * 1000 - now.getTime());
  return undefined;
}

interface SendGridErrorBody {
  errors?: Array<{ message?: string; field?: string | null; help?: string | null }>;
}

function describeBody(body: unknown): string {
  const errors = (body as SendGridErrorBody | undefined)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return typeof body === 'string' && body ? body : 'no error details';
  return errors.map((e) => (e.field ? `${e.field}: ${e.message}` : String(e.message))).join('; ');
}

/**
 * Map a failed Mail Send call:
 * 400 (and other 4xx) -> PermanentError with the API's messages; not suppressed, the request was
 * malformed, the address was not judged. 401/403 -> PermanentError (bad key or scope: fix config),
 * never suppressing. 408/429/5xx and network errors -> TransientError, with retryAfterMs when given.
 */
export function classifySendGridError(raw: unknown, now: Date): TransientError | PermanentError {
  const err = raw as { code?: number | string; message?: string; response?: { headers?: Headers; body?: unknown } };
  if (typeof err?.code === 'number' && err.response) {
    const status = err.code;
    const detail = describeBody(err.response.body);
    if (status === 429 || status === 408 || status >= 500) {
      return new TransientError(`SendGrid ${status}: ${detail}`, {
        cause: raw,
        retryAfterMs: retryAfterMsFromHeaders(err.response.headers, now),
        code: status === 429 ? 'SENDGRID_RATE_LIMITED' : 'SENDGRID_TRANSIENT',
      });
    }
    if (status === 401 || status === 403) {
      return new PermanentError(`SendGrid ${status}: API key rejected (${detail}); check SENDGRID_API_KEY and its mail.send scope`, { cause: raw, code: 'SENDGRID_AUTH' });
    }
    return new PermanentError(`SendGrid ${status}: ${detail}`, { cause: raw, code: 'SENDGRID_REJECTED' });
  }
  if (typeof err?.code === 'string' && NETWORK_CODES.has(err.code)) {
    return new TransientError(`SendGrid network: ${err.message}`, { cause: raw, code: 'SENDGRID_NETWORK' });
  }
  // The helper throws plain Errors while building a request (bad address shape, etc.): the message can't be sent as is.
  return new PermanentError(`SendGrid request could not be built: ${err?.message ?? String(raw)}`, { cause: raw, code: 'SENDGRID_INVALID_MESSAGE' });
}

function personalization(m: OutgoingMessage) {
  return {
    to: [{ email: m.to.email, ...(m.to.name ? { name: m.to.name } : {}) }],
    headers: { ...m.headers, 'Message-ID': `<${m.messageId}>` },
    customArgs: { sendLogId: m.tags.sendLogId, campaign: m.tags.campaign, step: m.tags.step },
  };
}

/** The Mail Send request for one message. */
function mailData(first: OutgoingMessage) {
  return {
    from: { email: first.from.email, ...(first.from.name ? { name: first.from.name } : {}) },
    subject: first.subject,
    // the helper emits content as [text/plain, text/html], the order the API requires
    text: first.text,
    html: first.html,
    personalizations: [personalization(first)],
    attachments: first.attachments?.map((a) => ({
      filename: a.filename,
      type: a.contentType,
      content: Buffer.isBuffer(a.content) ? a.content.toString('base64') : Buffer.from(a.content).toString('base64'),
      disposition: 'attachment',
    })),
  };
}

export class SendGridTransport implements Transport {
  readonly name = 'sendgrid';
  private readonly mail: MailService;
  private readonly clock: Clock;
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(options: SendGridTransportOptions) {
    this.clock = options.clock;
    // Own keep-alive agents so close() can destroy the sockets and the process can exit.
    this.agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
    const client = new Client();
    client.setApiKey(options.apiKey); // note: resets baseUrl to the global region, so set ours afterwards
    if (options.baseUrl) client.setDefaultRequest('baseUrl', options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    // timeout/httpAgent/httpsAgent are passed straight to axios; the client's typings only list its own keys.
    client.setDefaultRequest({ timeout: options.timeoutMs ?? 30_000, httpAgent: this.agents.http, httpsAgent: this.agents.https } as never);
    this.mail = new MailService();
    this.mail.setClient(client);
  }

  /** One request; resolves to the X-Message-Id SendGrid assigned. */
  private async post(message: OutgoingMessage): Promise<string> {
    try {
      const [response] = await this.mail.send(mailData(message) as Parameters<MailService['send']>[0]);
      return header(response.headers as Headers, 'x-message-id') ?? `sendgrid-${response.statusCode}`;
    } catch (err) {
      throw classifySendGridError(err, this.clock.now());
    }
  }

  async send(message: OutgoingMessage): Promise<SendResult> {
    return { providerId: await this.post(message) };
  }

  async close(): Promise<void> {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

export function createSendGridTransport(options: SendGridTransportOptions): SendGridTransport {
  return new SendGridTransport(options);
}
