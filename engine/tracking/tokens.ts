// Signed, stateless tokens for every URL we put in an email. Two independent
// signatures keep the send cheap: a recipient token (one HMAC per recipient)
// says which send-log record a request belongs to; a link signature (one HMAC
// per distinct target per compiled message) says the click target is ours.
// The server checks both; neither needs a lookup table of links.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { FlywheelError } from '../errors.ts';

const RECIPIENT_SIG_BYTES = 16;
const LINK_SIG_BYTES = 12;
// base64url without padding: ceil(bytes * 4 / 3) characters
const RECIPIENT_SIG_CHARS = Math.ceil((RECIPIENT_SIG_BYTES * 4) / 3);
const LINK_SIG_CHARS = Math.ceil((LINK_SIG_BYTES * 4) / 3);
/** Send-log ids travel in a URL path segment: keep them to URL-safe characters. */
const SEND_LOG_ID = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export class TokenSigner {
  private readonly key: Buffer;
  constructor(secret: string) {
    if (secret.length === 0) throw new FlywheelError('TOKEN_SECRET_MISSING', 'The token secret is empty; set FLYWHEEL_SECRET.');
    this.key = Buffer.from(secret, 'utf8');
  }

  /** `<sendLogId>.<sig>`: authenticates the send-log id, nothing else. */
  recipientToken(sendLogId: string): string {
    if (!SEND_LOG_ID.test(sendLogId)) {
      throw new FlywheelError('TOKEN_ID_INVALID', `Cannot sign send-log id ${JSON.stringify(sendLogId)}: expected 1-64 characters of A-Z a-z 0-9 _ -.`);
    }
    return `${sendLogId}.${this.mac('r:' + sendLogId, RECIPIENT_SIG_BYTES)}`;
  }

  /** Returns the send-log id, or throws TOKEN_INVALID: never trusts an unsigned or altered token. */
  verifyRecipientToken(rt: string): string {
    if (typeof rt !== 'string') throw invalid('not a string');
    const dot = rt.lastIndexOf('.');
    if (dot <= 0) throw invalid('malformed token: expected <id>.<signature>');
    const id = rt.slice(0, dot);
    const sig = rt.slice(dot + 1);
    if (!SEND_LOG_ID.test(id)) throw invalid('malformed send-log id');
    if (sig.length !== RECIPIENT_SIG_CHARS || !BASE64URL.test(sig)) throw invalid('malformed signature');
    if (!sameAscii(sig, this.mac('r:' + id, RECIPIENT_SIG_BYTES))) throw invalid('bad signature');
    return id;
  }

  /** Signature of one click target; the same for every recipient of a message. */
  linkSignature(target: string): string {
    return this.mac('l:' + target, LINK_SIG_BYTES);
  }

  /** True only when `ls` is this secret's signature of exactly `target`. */
  verifyLink(target: string, ls: string): boolean {
    if (typeof target !== 'string' || typeof ls !== 'string') return false;
    if (ls.length !== LINK_SIG_CHARS || !BASE64URL.test(ls)) return false;
    return sameAscii(ls, this.linkSignature(target));
  }

  private mac(message: string, bytes: number): string {
    return createHmac('sha256', this.key).update(message, 'utf8').digest().subarray(0, bytes).toString('base64url');
  }
}

// Both sides are canonical base64url of the same length, so comparing the
// encoded text compares the bytes (and rejects non-canonical encodings).
function sameAscii(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'latin1');
  const b = Buffer.from(expected, 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}

function invalid(why: string): FlywheelError {
  return new FlywheelError('TOKEN_INVALID', `Invalid or tampered link token (${why}).`);
}

/**
 * Builds the public URLs that carry tokens; the HTTP server mounts the matching routes:
 * /o/:rt  /u/:rt  /p/:rt  /r/:rt/yes|no  /s/:rt/:score  /c/:rt/:ls?u=<target>
 */
export class TrackingUrls {
  private readonly base: string;
  constructor(publicUrl: string, private readonly signer: TokenSigner) {
    this.base = publicUrl.replace(/\/+$/, '');
  }
  /** The recipient token (`rt`) the other methods take: one HMAC, compute it once per recipient. */
  recipient(sendLogId: string): string { return this.signer.recipientToken(sendLogId); }
  /** The link signature (`ls`) for `click`: compute it once per message and target. */
  linkSignature(target: string): string { return this.signer.linkSignature(target); }

  openPixel(rt: string): string { return `${this.base}/o/${rt}`; }
  unsubscribe(rt: string): string { return `${this.base}/u/${rt}`; }
  preferences(rt: string): string { return `${this.base}/p/${rt}`; }
  rsvp(rt: string, answer: 'yes' | 'no'): string { return `${this.base}/r/${rt}/${answer}`; }
  survey(rt: string, score: number): string { return `${this.base}/s/${rt}/${score}`; }
  click(rt: string, target: string, ls: string): string {
    return `${this.base}/c/${rt}/${ls}?u=${encodeURIComponent(target)}`;
  }
}
