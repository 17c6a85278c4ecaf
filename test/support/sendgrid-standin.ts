// A local HTTP stand-in for SendGrid's v3 Mail Send API (POST /v3/mail/send).
// SendGrid cannot be reached from tests, so this enforces the documented contract
// instead: Bearer auth; JSON body with 1..1000 personalizations each with `to`,
// at most 1000 recipients and no address twice; from.email; subject (top level or
// in every personalization) unless template_id; content with non-empty string
// values, text/plain first then text/html; headers and custom_args as string maps,
// reserved headers refused. Success is 202 with an empty body and X-Message-Id;
// validation failures are 400 {errors:[{message, field, help}]}; bad keys 401.
// Tests can script 403/429 (with Retry-After / X-RateLimit-Reset) and 5xx replies.
import { randomBytes } from 'node:crypto';
import http from 'node:http';

export interface StandinReply {
  status: 401 | 403 | 413 | 429 | 500 | 502 | 503 | 400;
  /** only when a request includes this recipient (case-insensitive); omit for any request */
  recipient?: string;
  /** for the first `times` matching requests; omit for always */
  times?: number;
  /** seconds, sent as Retry-After */
  retryAfterSeconds?: number;
  /** epoch seconds, sent as X-RateLimit-Reset (what SendGrid documents for 429) */
  rateLimitResetEpochSeconds?: number;
  message?: string;
}

/** One recipient's message as SendGrid would deliver it (request-level fields merged with its personalization). */
export interface StandinDelivery {
  xMessageId: string;
  /** from the Message-ID header, without angle brackets ('' when absent) */
  messageId: string;
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  /** merged headers keyed by lower-case name */
  headers: Record<string, string>;
  customArgs: Record<string, string>;
}

interface ApiError {
  message: string;
  field: string | null;
  help: string | null;
}

// Headers the API refuses to let callers set (SendGrid mail-send errors reference, "headers").
const RESERVED_HEADERS = new Set(['x-sg-id', 'x-sg-eid', 'received', 'dkim-signature', 'content-type', 'content-transfer-encoding', 'to', 'from', 'subject', 'reply-to', 'cc', 'bcc']);
const HELP = 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html';
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkStringMap(value: unknown, field: string, errors: ApiError[], reserved?: Set<string>): void {
  if (value === undefined) return;
  if (!isObject(value)) {
    errors.push({ message: `Invalid type. Expected: object, given: ${Array.isArray(value) ? 'array' : typeof value}.`, field, help: `${HELP}#message.${field}` });
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') errors.push({ message: `${field} values must be strings; "${k}" is ${typeof v}.`, field: `${field}.${k}`, help: `${HELP}#message.${field}` });
    if (reserved?.has(k.toLowerCase())) errors.push({ message: `The header "${k}" is reserved and cannot be set.`, field: `${field}.${k}`, help: `${HELP}#message.headers` });
  }
}

/** Validate a Mail Send body; returns the API's error list (empty when valid). */
export function validateMailSend(body: unknown): ApiError[] {
  const errors: ApiError[] = [];
  if (!isObject(body)) return [{ message: 'Bad Request', field: null, help: null }];
  const templated = typeof body.template_id === 'string';
  const ps = body.personalizations;
  if (!Array.isArray(ps) || ps.length === 0) {
    errors.push({ message: 'You must have at least one personalization.', field: 'personalizations', help: `${HELP}#message.personalizations` });
  } else {
    if (ps.length > 1000) errors.push({ message: `The personalization block is limited to 1000 personalizations per API request. You have provided ${ps.length} personalizations.`, field: 'personalizations', help: `${HELP}#message.personalizations` });
    const seen = new Set<string>();
    let recipients = 0;
    ps.forEach((p: unknown, i) => {
      const field = `personalizations.${i}`;
      if (!isObject(p) || !Array.isArray(p.to) || p.to.length === 0) {
        errors.push({ message: 'The to array is required for all personalization objects, and must have at least one email object with a valid email address.', field: `${field}.to`, help: `${HELP}#message.personalizations.to` });
        return;
      }
      for (const [j, to] of (p.to as unknown[]).entries()) {
        recipients++;
        const email = isObject(to) && typeof to.email === 'string' ? to.email : undefined;
        if (!email || !EMAIL.test(email)) {
          errors.push({ message: 'Does not contain a valid address.', field: `${field}.to.${j}.email`, help: `${HELP}#message.personalizations.to` });
        } else if (seen.has(email.toLowerCase())) {
          errors.push({ message: `Each unique email address in the personalizations array should only be included once. You have included ${email} more than once.`, field: `${field}.to.${j}.email`, help: `${HELP}#message.personalizations` });
        } else seen.add(email.toLowerCase());
      }
      checkStringMap(p.headers, `${field}.headers`, errors, RESERVED_HEADERS);
      checkStringMap(p.custom_args, `${field}.custom_args`, errors);
      if (p.subject !== undefined && (typeof p.subject !== 'string' || p.subject === '')) errors.push({ message: 'The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.', field: `${field}.subject`, help: `${HELP}#message.subject` });
    });
    if (recipients > 1000) errors.push({ message: 'There is a limit of 1000 total recipients (to + cc + bcc) per request.', field: 'personalizations', help: `${HELP}#message.personalizations` });
  }
  if (!isObject(body.from) || typeof body.from.email !== 'string' || !EMAIL.test(body.from.email)) {
    errors.push({ message: 'The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.', field: 'from', help: `${HELP}#message.from` });
  }
  const everyHasSubject = Array.isArray(ps) && ps.length > 0 && ps.every((p) => isObject(p) && typeof p.subject === 'string' && p.subject !== '');
  if (!templated && !everyHasSubject && (typeof body.subject !== 'string' || body.subject === '')) {
    errors.push({ message: 'The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.', field: 'subject', help: `${HELP}#message.subject` });
  }
  const content = body.content;
  if (content === undefined) {
    if (!templated) errors.push({ message: 'Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block.', field: 'content', help: `${HELP}#message.content` });
  } else if (!Array.isArray(content) || content.length === 0) {
    errors.push({ message: 'The content parameter must be an array with at least one content block.', field: 'content', help: `${HELP}#message.content` });
  } else {
    content.forEach((c: unknown, i) => {
      if (!isObject(c) || typeof c.type !== 'string' || c.type === '') errors.push({ message: 'The content type must be a string at least one character in length.', field: `content.${i}.type`, help: `${HELP}#message.content.type` });
      if (!isObject(c) || typeof c.value !== 'string' || c.value === '') errors.push({ message: 'The content value must be a string at least one character in length.', field: `content.${i}.value`, help: `${HELP}#message.content.value` });
    });
    const types = content.map((c: unknown) => (isObject(c) ? c.type : undefined));
    const plain = types.indexOf('text/plain');
    const html = types.indexOf('text/html');
    if ((plain > 0) || (html !== -1 && plain !== -1 && html < plain) || (html > 0 && plain === -1)) {
      errors.push({ message: 'If present, text/plain and text/html may only be provided in this order, followed by any other content.', field: 'content', help: `${HELP}#message.content` });
    }
  }
  checkStringMap(body.headers, 'headers', errors, RESERVED_HEADERS);
  checkStringMap(body.custom_args, 'custom_args', errors);
  return errors;
}

function lowerKeys(map: unknown): Record<string, string> {
  return isObject(map) ? Object.fromEntries(Object.entries(map).map(([k, v]) => [k.toLowerCase(), String(v)])) : {};
}

export class SendGridStandin {
  /** every accepted request body, as received */
  readonly requests: Json[] = [];
  /** every request, accepted or not, with its status: lets tests count calls */
  readonly log: Array<{ status: number; recipients: string[] }> = [];
  readonly deliveries: StandinDelivery[] = [];
  private replies: Array<StandinReply & { used: number }> = [];
  private readonly sockets = new Set<import('node:net').Socket>();

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
    readonly apiKey: string,
  ) {}

  static async start(options: { apiKey?: string } = {}): Promise<SendGridStandin> {
    const apiKey = options.apiKey ?? 'SG.standin-key';
    let standin: SendGridStandin | undefined;
    const server = http.createServer((req, res) => standin?.handle(req, res));
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : 0);
      });
    });
    standin = new SendGridStandin(server, port, apiKey);
    server.on('connection', (s) => {
      standin?.sockets.add(s);
      s.on('close', () => standin?.sockets.delete(s));
    });
    return standin;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  respond(reply: StandinReply): this {
    this.replies.push({ ...reply, recipient: reply.recipient?.toLowerCase(), used: 0 });
    return this;
  }

  reset(): void {
    this.replies = [];
    this.requests.length = 0;
    this.deliveries.length = 0;
    this.log.length = 0;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private send(res: http.ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
    const payload = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { ...(payload ? { 'Content-Type': 'application/json' } : {}), ...headers });
    res.end(payload);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recipients: string[] = [];
      const reply = (status: number, body?: unknown, headers?: Record<string, string>) => {
        this.log.push({ status, recipients });
        this.send(res, status, body, headers);
      };
      if (req.method !== 'POST' || req.url !== '/v3/mail/send') return reply(404, { errors: [{ message: 'Not Found', field: null, help: null }] });
      if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
        return reply(401, { errors: [{ message: 'The provided authorization grant is invalid, expired, or revoked', field: null, help: null }] });
      }
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
        return reply(400, { errors: [{ message: 'Content-Type should be application/json.', field: null, help: null }] });
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(400, { errors: [{ message: 'Bad Request', field: null, help: null }] });
      }
      const ps = isObject(body) && Array.isArray(body.personalizations) ? body.personalizations : [];
      for (const p of ps) if (isObject(p) && Array.isArray(p.to)) for (const t of p.to) if (isObject(t) && typeof t.email === 'string') recipients.push(t.email.toLowerCase());
      const scripted = this.replies.find((r) => (r.recipient === undefined || recipients.includes(r.recipient)) && (r.times === undefined || r.used < r.times));
      if (scripted) {
        scripted.used++;
        const headers: Record<string, string> = {};
        if (scripted.retryAfterSeconds !== undefined) headers['Retry-After'] = String(scripted.retryAfterSeconds);
        if (scripted.rateLimitResetEpochSeconds !== undefined) {
          Object.assign(headers, { 'X-RateLimit-Limit': '600', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(scripted.rateLimitResetEpochSeconds) });
        }
        const message = scripted.message ?? (scripted.status === 429 ? 'too many requests' : scripted.status === 403 ? 'access forbidden' : 'scripted failure');
        return reply(scripted.status, { errors: [{ message, field: null, help: null }] }, headers);
      }
      const errors = validateMailSend(body);
      if (errors.length > 0) return reply(400, { errors });
      this.accept(body as Json);
      const xMessageId = randomBytes(16).toString('base64url').slice(0, 22);
      this.record(body as Json, xMessageId);
      reply(202, undefined, { 'X-Message-Id': xMessageId });
    });
  }

  private accept(body: Json): void {
    this.requests.push(body);
  }

  private record(body: Json, xMessageId: string): void {
    const content = (body.content as Array<{ type: string; value: string }> | undefined) ?? [];
    const from = isObject(body.from) ? String(body.from.email) : '';
    for (const p of body.personalizations as Json[]) {
      const headers = { ...lowerKeys(body.headers), ...lowerKeys(p.headers) };
      for (const to of p.to as Json[]) {
        this.deliveries.push({
          xMessageId,
          messageId: (headers['message-id'] ?? '').replace(/^<|>$/g, ''),
          to: String(to.email).toLowerCase(),
          from,
          subject: String(p.subject ?? body.subject ?? ''),
          text: content.find((c) => c.type === 'text/plain')?.value ?? '',
          html: content.find((c) => c.type === 'text/html')?.value ?? '',
          headers,
          customArgs: { ...(body.custom_args as Record<string, string> | undefined), ...(p.custom_args as Record<string, string> | undefined) },
        });
      }
    }
  }
}
