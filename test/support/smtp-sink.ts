// A real SMTP server on loopback for tests: accepts mail on a random port, parses
// every message with mailparser, and can be told to answer chosen SMTP codes for
// chosen recipients (at connect, RCPT TO or end of DATA), for the first N attempts
// or always. Shared by the transport contract tests, reliability tests and benchmarks.
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';

export interface SinkReply {
  /** which SMTP step answers with `code` */
  stage: 'connect' | 'rcpt' | 'data';
  /** e.g. 421, 451 (transient), 550 (unknown user), 552, 554 */
  code: number;
  /** reply text; an enhanced status like "5.1.1" here is what the client sees */
  message?: string;
  /** only for this recipient (case-insensitive); ignored at 'connect'. Omit for every recipient */
  recipient?: string;
  /** answer this way for the first `times` matching attempts, then behave normally; omit for always */
  times?: number;
}

export interface ReceivedMessage {
  envelope: { from: string; to: string[] };
  /** Message-ID without angle brackets */
  messageId: string;
  subject: string;
  from: string;
  to: string[];
  html: string;
  text: string;
  /** raw header values as sent (unfolded), keyed by lower-case name; the last occurrence wins */
  headers: Record<string, string>;
  /** queue id this sink answered with, e.g. "SINK7" */
  queueId: string;
  raw: Buffer;
  parsed: ParsedMail;
}

interface ActiveRule extends SinkReply {
  used: number;
}

function replyError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

function addresses(field: ParsedMail['to']): string[] {
  if (!field) return [];
  const list = Array.isArray(field) ? field : [field];
  return list.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
}

function rawHeaders(parsed: ParsedMail): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, line } of parsed.headerLines) {
    const colon = line.indexOf(':');
    out[key.toLowerCase()] = line.slice(colon + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
  }
  return out;
}

export class SmtpSink {
  readonly messages: ReceivedMessage[] = [];
  /** every RCPT TO seen, accepted or not, in order (lower-cased): lets tests count attempts */
  readonly rcptAttempts: string[] = [];
  /** SMTP connections opened to this sink so far (lets tests see a pool reconnect) */
  connections = 0;
  private rules: ActiveRule[] = [];
  private queueCounter = 0;
  private waiters: Array<{ n: number; resolve: () => void }> = [];

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  /** Start on 127.0.0.1 with an OS-chosen port. */
  static async start(): Promise<SmtpSink> {
    let sink: SmtpSink | undefined;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      closeTimeout: 200,
      onConnect: (_session, cb) => {
        if (sink) sink.connections++;
        cb(sink?.match('connect', undefined) ?? null);
      },
      onRcptTo: (address: SMTPServerAddress, _session, cb) => {
        const email = address.address.toLowerCase();
        sink?.rcptAttempts.push(email);
        cb(sink?.match('rcpt', email) ?? null);
      },
      onData: (stream, session: SMTPServerSession, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (!sink) return cb(new Error('sink not ready'));
          sink.onMessage(Buffer.concat(chunks), session).then(
            (reply) => (typeof reply === 'string' ? cb(null, reply) : cb(reply)),
            (err: Error) => cb(err),
          );
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const addr = server.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : 0);
      });
    });
    server.on('error', () => {}); // client resets during fault tests are expected
    sink = new SmtpSink(server, port);
    return sink;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Add a scripted reply; rules are checked in the order added. */
  respond(reply: SinkReply): this {
    this.rules.push({ ...reply, recipient: reply.recipient?.toLowerCase(), used: 0 });
    return this;
  }

  clearReplies(): void {
    this.rules = [];
  }

  reset(): void {
    this.clearReplies();
    this.messages.length = 0;
    this.rcptAttempts.length = 0;
    this.connections = 0;
  }

  /** Messages received for one recipient. */
  for(recipient: string): ReceivedMessage[] {
    const r = recipient.toLowerCase();
    return this.messages.filter((m) => m.envelope.to.includes(r));
  }

  /** Resolves once at least `n` messages have arrived (or rejects after `timeoutMs`). */
  waitForMessages(n: number, timeoutMs = 5000): Promise<void> {
    if (this.messages.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sink got ${this.messages.length} of ${n} messages in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ n, resolve: () => { clearTimeout(timer); resolve(); } });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private match(stage: SinkReply['stage'], recipient: string | undefined): Error | null {
    for (const rule of this.rules) {
      if (rule.stage !== stage) continue;
      if (stage !== 'connect' && rule.recipient !== undefined && rule.recipient !== recipient) continue;
      if (rule.times !== undefined && rule.used >= rule.times) continue;
      rule.used++;
      return replyError(rule.code, rule.message ?? defaultText(rule.code));
    }
    return null;
  }

  private async onMessage(raw: Buffer, session: SMTPServerSession): Promise<string | Error> {
    const rcpts = session.envelope.rcptTo.map((a) => a.address.toLowerCase());
    for (const r of rcpts) {
      const refused = this.match('data', r);
      if (refused) return refused;
    }
    const parsed = await simpleParser(raw);
    const queueId = `SINK${++this.queueCounter}`;
    const mailFrom = session.envelope.mailFrom;
    this.messages.push({
      envelope: { from: mailFrom ? mailFrom.address : '', to: rcpts },
      messageId: (parsed.messageId ?? '').replace(/^<|>$/g, ''),
      subject: parsed.subject ?? '',
      from: parsed.from?.value[0]?.address ?? '',
      to: addresses(parsed.to),
      html: typeof parsed.html === 'string' ? parsed.html : '',
      text: parsed.text ?? '',
      headers: rawHeaders(parsed),
      queueId,
      raw,
      parsed,
    });
    this.waiters = this.waiters.filter((w) => (this.messages.length >= w.n ? (w.resolve(), false) : true));
    return `OK: queued as ${queueId}`;
  }
}

function defaultText(code: number): string {
  const known: Record<number, string> = {
    421: '4.3.2 Service not available, closing channel',
    450: '4.2.1 Mailbox busy, try again later',
    451: '4.3.0 Local error in processing, try again later',
    452: '4.3.1 Insufficient system storage',
    550: '5.1.1 Unknown user',
    551: '5.1.6 User not local',
    552: '5.2.2 Mailbox full',
    553: '5.1.3 Mailbox name not allowed',
    554: '5.7.1 Message rejected as spam',
  };
  return known[code] ?? `${code >= 500 ? '5' : '4'}.0.0 Scripted reply`;
}
