// The delivery port: every way of pushing a message out (SMTP, SendGrid, files)
// implements Transport, and all of them pass the same contract tests.
// Transports classify failures: TransientError = retry later, PermanentError = give up.
import type { BodyPieces } from '../render/index.ts';

export interface Address {
  email: string;
  name?: string;
}

export interface Attachment {
  filename: string;
  content: string | Buffer;
  contentType: string;
}

export interface OutgoingMessage {
  /** stable RFC 5322 Message-ID, without angle brackets; the same on every retry of one send-log record */
  messageId: string;
  from: Address;
  to: Address;
  subject: string;
  html: string;
  text: string;
  /** when it is sent (the Date header); omitted: now */
  date?: Date;
  /** extra headers: List-Unsubscribe, List-Unsubscribe-Post, X-Flywheel-Campaign, X-Flywheel-Step, ... */
  headers: Record<string, string>;
  attachments?: Attachment[];
  /**
   * Strings that differ per recipient inside html and text (the recipient token of the tracking
   * URLs). The text between them is the same for every recipient of a step, so a transport may
   * encode it once (mime.ts). Optional: without it a message is encoded whole.
   */
  varying?: string[];
  /**
   * html and text as the render stage filled them: shared template text (the same objects for
   * every recipient of a step) and this recipient's strings. A transport that builds the message
   * itself encodes the shared pieces once (mime.ts); html and text are the same bodies joined.
   */
  pieces?: { html: BodyPieces; text: BodyPieces };
  /** correlation for provider webhooks (SendGrid custom_args) */
  tags: { sendLogId: string; campaign: string; step: string };
}

export interface SendResult {
  /** the provider's id for the accepted message (SMTP queue id / response, SendGrid x-message-id, outbox file) */
  providerId: string;
}

export interface Transport {
  readonly name: string;
  /** Send one message; resolves when the provider accepted it. Throws TransientError or PermanentError. */
  send(message: OutgoingMessage): Promise<SendResult>;
  /** Release pooled connections. */
  close(): Promise<void>;
}
