// Outbox transport: instead of sending, writes each message as a complete RFC 822
// file (<outbox>/<campaign>/<messageId>.eml, opens in any mail client) plus the
// bare HTML beside it. Used for previews, dry runs and local development.
// Idempotent by messageId: a retry rewrites the same two files.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { Clock } from '../clock.ts';
import { PermanentError, TransientError } from '../errors.ts';
import type { OutgoingMessage, SendResult, Transport } from './transport.ts';

/** The file operations the outbox needs; injectable so tests can simulate a full disk. */
export interface OutboxFs {
  mkdir(dir: string, options: { recursive: true }): Promise<unknown>;
  writeFile(file: string, data: Buffer | string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}

const nodeFs: OutboxFs = { mkdir, writeFile, rename };

// Distinguishes temp files of concurrent writes of the same message within this process.
let tmpCounter = 0;

export interface OutboxTransportOptions {
  dir: string;
  /** stamps the Date header, so the file does not depend on the wall clock */
  clock: Clock;
  fs?: OutboxFs;
}

/** Conditions that clear up by themselves (space freed, descriptors released). */
const TRANSIENT_FS_CODES = new Set(['ENOSPC', 'EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EIO', 'EDQUOT']);

export function classifyOutboxError(err: unknown, file: string): TransientError | PermanentError {
  const code = (err as NodeJS.ErrnoException)?.code;
  const message = `outbox could not write ${file}: ${(err as Error)?.message ?? String(err)}`;
  if (code && TRANSIENT_FS_CODES.has(code)) return new TransientError(message, { cause: err, code: 'OUTBOX_TRANSIENT' });
  // EACCES, EROFS, ENOTDIR, ENAMETOOLONG...: the outbox directory is misconfigured; the member is fine.
  return new PermanentError(message, { cause: err, code: 'OUTBOX_UNWRITABLE' });
}

/** A path segment safe on every filesystem: keeps [A-Za-z0-9._@+=-], percent-encodes the rest. */
export function safeFileSegment(value: string): string {
  const encoded = value.replace(/[^A-Za-z0-9._@+=-]/g, (c) => encodeURIComponent(c).replace(/[!'()*]/g, (x) => `%${x.charCodeAt(0).toString(16).toUpperCase()}`));
  // "." and ".." would climb directories; a leading dot would hide the file.
  return encoded.replace(/^\./, '%2E');
}

/** Full RFC 822 bytes for a message, as the SMTP transport would put them on the wire. */
export function composeRfc822(message: OutgoingMessage, date: Date): Promise<Buffer> {
  const composer = new MailComposer({
    messageId: `<${message.messageId}>`,
    date,
    from: { address: message.from.email, name: message.from.name ?? '' },
    to: { address: message.to.email, name: message.to.name ?? '' },
    subject: message.subject,
    text: message.text,
    html: message.html,
    headers: message.headers,
    attachments: message.attachments?.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
  });
  return new Promise((resolve, reject) => {
    composer.compile().build((err, out) => (err ? reject(err) : resolve(out)));
  });
}

export class OutboxTransport implements Transport {
  readonly name = 'outbox';
  private readonly dir: string;
  private readonly clock: Clock;
  private readonly fs: OutboxFs;

  constructor(options: OutboxTransportOptions) {
    this.dir = path.resolve(options.dir);
    this.clock = options.clock;
    this.fs = options.fs ?? nodeFs;
  }

  /** Where a message's files go, without extension. */
  pathFor(message: Pick<OutgoingMessage, 'messageId' | 'tags'>): string {
    return path.join(this.dir, safeFileSegment(message.tags.campaign || '_'), safeFileSegment(message.messageId));
  }

  async send(message: OutgoingMessage): Promise<SendResult> {
    const base = this.pathFor(message);
    let eml: Buffer;
    try {
      eml = await composeRfc822(message, this.clock.now());
    } catch (err) {
      throw new PermanentError(`outbox could not compose ${message.messageId}: ${(err as Error).message}`, { cause: err, code: 'OUTBOX_INVALID_MESSAGE' });
    }
    await this.writeAtomically(`${base}.html`, message.html);
    // .eml last: its presence means the message is complete.
    await this.writeAtomically(`${base}.eml`, eml);
    return { providerId: path.relative(this.dir, `${base}.eml`) };
  }

  /** Write to a temp name then rename, so a reader never sees half a file and a rewrite is harmless. */
  private async writeAtomically(file: string, data: Buffer | string): Promise<void> {
    const tmp = `${file}.tmp-${process.pid}-${++tmpCounter}`;
    try {
      await this.fs.mkdir(path.dirname(file), { recursive: true });
      await this.fs.writeFile(tmp, data);
      await this.fs.rename(tmp, file);
    } catch (err) {
      throw classifyOutboxError(err, file);
    }
  }

  async close(): Promise<void> {}
}

export function createOutboxTransport(options: OutboxTransportOptions): OutboxTransport {
  return new OutboxTransport(options);
}
