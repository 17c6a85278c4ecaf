// One SMTP client connection (RFC 5321), kept open for a whole send. Each message costs one write
// of its envelope commands, pipelined per RFC 2920 (MAIL, RCPT and DATA in one packet, their
// three replies read together), and one write of the message itself, which mime.ts built as one
// Buffer with nothing to dot-stuff. nodemailer's pool scanned every byte of every message and
// wrote each one in four or five pieces; at a 43 KB newsletter that was most of the send's CPU.
// TLS (implicit or STARTTLS), AUTH PLAIN/LOGIN, timeouts and reply codes are handled here; the
// transport (smtp.ts) turns the errors into retry-or-bounce decisions.
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { hostname } from 'node:os';

export interface SmtpConnectionOptions {
  host: string;
  port: number;
  /** implicit TLS from the first byte (smtps, usually port 465) */
  secure: boolean;
  /** fail unless the session is encrypted (STARTTLS must be offered) */
  requireTLS?: boolean;
  /** never upgrade with STARTTLS even when offered */
  ignoreTLS?: boolean;
  auth?: { user: string; pass: string };
  tls?: ConnectionOptions;
  /** connect, greeting and per-reply timeout */
  timeoutMs: number;
  /** the name we give in EHLO */
  clientName?: string;
}

/** An SMTP reply: its code and its text (all lines, continuation markers kept). */
export interface Reply {
  code: number;
  text: string;
}

/** Errors shaped like nodemailer's (code, responseCode, response), which classifySmtpError reads. */
export function smtpError(message: string, code: string, reply?: Reply): Error {
  return Object.assign(new Error(reply ? `${message}: ${reply.text}` : message), { code, ...(reply ? { responseCode: reply.code, response: reply.text } : {}) });
}

const CRLF_DOT = Buffer.from('\n.', 'latin1');
const END_OF_DATA = Buffer.from('.\r\n', 'latin1');
const CRLF_END_OF_DATA = Buffer.from('\r\n.\r\n', 'latin1');

/**
 * RFC 5321 4.5.2: a line that starts with "." gets another one. mime.ts never makes such lines;
 * this only checks (natively, once over the joined message), and stuffs a copy if one ever does.
 */
function dotStuffed(message: Buffer): Buffer {
  if (message.length === 0 || (message[0] !== 0x2e && message.indexOf(CRLF_DOT) < 0)) return message;
  return Buffer.from(message.toString('latin1').replace(/(^|\n)\./g, '$1..'), 'latin1');
}

/** One message for one recipient; `envelope` is set once its MAIL/RCPT/DATA went out ahead of it. */
export interface SmtpJob {
  from: string;
  to: string;
  message: readonly Buffer[];
  envelope?: Promise<Reply[]>;
}

function envelopeCommands(job: SmtpJob, smtpUtf8: boolean): [string, string] {
  const utf8 = smtpUtf8 && /[^\x00-\x7f]/.test(job.from + job.to) ? ' SMTPUTF8' : '';
  return [`MAIL FROM:<${job.from}>${utf8}\r\n`, `RCPT TO:<${job.to}>\r\n`];
}

export class SmtpConnection {
  private socket: Socket;
  private pending = '';
  private lines: string[] = [];
  private waiting: Array<{ resolve(r: Reply): void; reject(e: Error): void }> = [];
  private extensions = new Map<string, string>();
  private failure?: Error;
  /** true once the socket failed or closed: the pool drops the connection */
  broken = false;
  /** messages this connection has sent (tests and logs) */
  sent = 0;
  /** the message being written, joined into one Buffer (one socket write instead of one per piece) */
  private outgoing = Buffer.allocUnsafeSlow(64 * 1024);

  private constructor(socket: Socket, private readonly options: SmtpConnectionOptions) {
    this.socket = socket;
    this.attach(socket);
  }

  /**
   * The message's pieces copied into this connection's own Buffer. It is reused for the next
   * message: by then the server has replied to this one, so it read every byte; if the socket
   * still holds unwritten data anyway, a new Buffer is taken instead.
   */
  private joined(chunks: readonly Buffer[]): Buffer {
    let size = 0;
    for (const c of chunks) size += c.length;
    if (this.outgoing.length < size || this.socket.writableLength > 0) this.outgoing = Buffer.allocUnsafeSlow(Math.max(size, 64 * 1024));
    let o = 0;
    for (const c of chunks) o += c.copy(this.outgoing, o);
    return this.outgoing.subarray(0, o);
  }

  /** Connect, read the greeting, EHLO, STARTTLS when offered, AUTH when configured. */
  static async open(options: SmtpConnectionOptions): Promise<SmtpConnection> {
    const socket = await connectSocket(options);
    const conn = new SmtpConnection(socket, options);
    try {
      const greeting = await conn.reply();
      if (greeting.code !== 220) throw smtpError('Server refused the connection', 'EPROTOCOL', greeting);
      await conn.hello();
      if (!options.secure && !options.ignoreTLS && conn.extensions.has('STARTTLS')) await conn.startTls();
      else if (!options.secure && options.requireTLS) throw smtpError('Server does not offer STARTTLS and the URL requires TLS', 'ETLS');
      if (options.auth?.user) await conn.authenticate(options.auth);
      return conn;
    } catch (err) {
      conn.destroy();
      throw err;
    }
  }

  /**
   * One message, one recipient. Resolves with the server's final reply text ("250 ... queued as
   * X"); rejects with an error carrying the refusing reply (EENVELOPE at MAIL/RCPT, EMESSAGE at
   * the end of data) or a socket error (then the connection is broken). After a refusal the
   * connection is reset and stays usable.
   * `takeNext` hands over the message to send after this one: its envelope then goes out in the
   * same write as this message's body (RFC 2920 allows commands right after the end of data), so
   * a busy connection makes one write and one round trip per message.
   */
  async send(job: SmtpJob, takeNext?: () => SmtpJob | undefined): Promise<string> {
    if (this.broken && !job.envelope) throw this.failure ?? smtpError('Connection closed', 'ECONNECTION');
    const [mailReply, rcptReply, dataReply] = await (job.envelope ?? this.envelope(job));
    if (dataReply?.code === 354 && (mailReply!.code !== 250 || (rcptReply!.code !== 250 && rcptReply!.code !== 251))) {
      // a server that opened DATA after refusing the envelope: end it empty, then reset below
      await this.command('.\r\n');
    }
    if (mailReply!.code !== 250) return this.refuse('Sender address rejected', mailReply!);
    if (rcptReply!.code !== 250 && rcptReply!.code !== 251) return this.refuse('Recipient command failed', rcptReply!);
    if (dataReply!.code !== 354) return this.refuse('Data command failed', dataReply!);

    const body = dotStuffed(this.joined(job.message));
    const done = this.reply();
    // corked: the message, the end-of-data mark and the next envelope leave in one writev
    this.socket.cork();
    this.socket.write(body);
    this.socket.write(body.length > 0 && body[body.length - 1] === 0x0a ? END_OF_DATA : CRLF_END_OF_DATA);
    const next = this.extensions.has('PIPELINING') ? takeNext?.() : undefined;
    if (next) {
      next.envelope = this.pipelinedEnvelope(next);
      next.envelope.catch(() => {}); // its own send() awaits it and sees the failure
    }
    this.socket.uncork();
    const final = await done;
    if (final.code !== 250) throw smtpError('Message failed', 'EMESSAGE', final);
    this.sent++;
    return final.text;
  }

  /** MAIL, RCPT and DATA: in one write when the server pipelines, else one at a time. */
  private async envelope(job: SmtpJob): Promise<Reply[]> {
    if (this.extensions.has('PIPELINING')) return this.pipelinedEnvelope(job);
    const [mail, rcpt] = envelopeCommands(job, this.extensions.has('SMTPUTF8'));
    const replies = [await this.command(mail)];
    if (replies[0]!.code === 250) replies.push(await this.command(rcpt));
    if (replies[1]?.code === 250 || replies[1]?.code === 251) replies.push(await this.command('DATA\r\n'));
    return replies;
  }

  private pipelinedEnvelope(job: SmtpJob): Promise<Reply[]> {
    const all = Promise.all([this.reply(), this.reply(), this.reply()]);
    const [mail, rcpt] = envelopeCommands(job, this.extensions.has('SMTPUTF8'));
    this.socket.write(`${mail}${rcpt}DATA\r\n`);
    return all;
  }

  /** QUIT and close; the socket is destroyed if the server does not close it within a second. */
  close(): void {
    if (this.broken) return;
    this.broken = true;
    this.failure = smtpError('Connection closed', 'ECONNECTION');
    this.socket.end('QUIT\r\n');
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private async refuse(what: string, reply: Reply): Promise<never> {
    // end the transaction so the connection can carry the next message
    if (!this.broken) await this.command('RSET\r\n').catch(() => undefined);
    throw smtpError(what, 'EENVELOPE', reply);
  }

  private async hello(): Promise<void> {
    const name = this.options.clientName ?? clientName();
    let reply = await this.command(`EHLO ${name}\r\n`);
    this.extensions.clear();
    if (reply.code !== 250) {
      reply = await this.command(`HELO ${name}\r\n`);
      if (reply.code !== 250) throw smtpError('Server refused HELO', 'EPROTOCOL', reply);
      return;
    }
    for (const line of reply.text.split('\n').slice(1)) {
      const [keyword = '', ...rest] = line.slice(4).trim().split(/\s+/);
      this.extensions.set(keyword.toUpperCase(), rest.join(' ').toUpperCase());
    }
  }

  private async startTls(): Promise<void> {
    const reply = await this.command('STARTTLS\r\n');
    if (reply.code !== 220) {
      if (this.options.requireTLS) throw smtpError('STARTTLS refused', 'ETLS', reply);
      return;
    }
    this.detach(this.socket);
    this.socket = await upgrade(this.socket, this.options);
    this.attach(this.socket);
    await this.hello();
  }

  private async authenticate(auth: { user: string; pass: string }): Promise<void> {
    const methods = this.extensions.get('AUTH') ?? '';
    if (!this.extensions.has('AUTH')) throw smtpError('Credentials given but the server offers no AUTH', 'EAUTH');
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
    let reply: Reply;
    if (methods.split(' ').includes('PLAIN') || !methods.split(' ').includes('LOGIN')) {
      reply = await this.command(`AUTH PLAIN ${b64(`\0${auth.user}\0${auth.pass}`)}\r\n`);
    } else {
      reply = await this.command('AUTH LOGIN\r\n');
      if (reply.code === 334) reply = await this.command(`${b64(auth.user)}\r\n`);
      if (reply.code === 334) reply = await this.command(`${b64(auth.pass)}\r\n`);
    }
    if (reply.code !== 235) throw smtpError('Invalid login', 'EAUTH', reply);
  }

  private command(line: string): Promise<Reply> {
    const r = this.reply();
    this.socket.write(line);
    return r;
  }

  /** The next reply the server sends (replies come back in the order commands went out). */
  private reply(): Promise<Reply> {
    if (this.broken) return Promise.reject(this.failure ?? smtpError('Connection closed', 'ECONNECTION'));
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private readonly onData = (chunk: Buffer): void => {
    this.pending += chunk.toString('utf8');
    for (let nl = this.pending.indexOf('\n'); nl >= 0; nl = this.pending.indexOf('\n')) {
      const line = this.pending.slice(0, nl > 0 && this.pending[nl - 1] === '\r' ? nl - 1 : nl);
      this.pending = this.pending.slice(nl + 1);
      this.lines.push(line);
      if (line.length >= 4 && line[3] === '-') continue;
      const reply = { code: Number.parseInt(line.slice(0, 3), 10) || 0, text: this.lines.join('\n') };
      this.lines = [];
      const w = this.waiting.shift();
      if (w) w.resolve(reply);
      else this.fail(smtpError('Server closed the session', 'ECONNECTION', reply)); // e.g. 421 on idle timeout
    }
  };

  private readonly onTimeout = (): void => {
    if (this.waiting.length > 0) this.fail(smtpError(`No reply from the server in ${this.options.timeoutMs} ms`, 'ETIMEDOUT'));
    else this.close(); // idle for a whole timeout: let it go, the pool opens another when needed
  };

  private readonly onError = (err: Error): void => {
    this.fail(Object.assign(err, { code: (err as Error & { code?: string }).code ?? 'ESOCKET' }));
  };

  private readonly onClose = (): void => {
    this.fail(smtpError('Connection closed by the server', 'ECONNECTION'));
  };

  private attach(socket: Socket): void {
    socket.setTimeout(this.options.timeoutMs);
    socket.on('data', this.onData);
    socket.on('timeout', this.onTimeout);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  private detach(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('timeout', this.onTimeout);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
  }

  private fail(err: Error): void {
    if (!this.failure || !this.broken) this.failure = err;
    this.broken = true;
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w.reject(err);
    this.socket.destroy();
  }

  private destroy(): void {
    this.broken = true;
    this.detach(this.socket);
    this.socket.destroy();
  }
}

function clientName(): string {
  const name = hostname();
  return name.includes('.') ? name : '[127.0.0.1]';
}

/** TCP with TCP_NODELAY (the small end-of-data packet must not wait for the server's delayed ACK); nodemailer's sockets come from here too (smtp.ts). */
export function connectTcp(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port });
    socket.setNoDelay(true);
    const fail = (err: Error) => {
      socket.destroy();
      reject(Object.assign(err, { code: (err as Error & { code?: string }).code ?? 'ECONNECTION' }));
    };
    socket.setTimeout(timeoutMs, () => fail(smtpError(`Connection timeout after ${timeoutMs} ms`, 'ETIMEDOUT')));
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.removeListener('error', fail);
      socket.removeAllListeners('timeout');
      resolve(socket);
    });
  });
}

/** TCP, then TLS if implicit. */
async function connectSocket(o: SmtpConnectionOptions): Promise<Socket> {
  const socket = await connectTcp(o.host, o.port, o.timeoutMs);
  return o.secure ? upgrade(socket, o) : socket;
}

function upgrade(socket: Socket, o: SmtpConnectionOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const secure = tlsConnect({ ...o.tls, socket, servername: o.tls?.servername ?? (/^[\d.:]+$/.test(o.host) ? undefined : o.host) });
    const fail = (err: Error) => {
      secure.destroy();
      reject(Object.assign(err, { code: 'ETLS' }));
    };
    secure.setTimeout(o.timeoutMs, () => fail(new Error(`TLS handshake timeout after ${o.timeoutMs} ms`)));
    secure.once('error', fail);
    secure.once('secureConnect', () => {
      secure.setTimeout(0);
      secure.removeListener('error', fail);
      secure.removeAllListeners('timeout');
      resolve(secure);
    });
  });
}
