// Signed, tamper-proof tokens for every URL we put in an email (open pixel,
// click, unsubscribe, preferences, RSVP). Stateless: the server verifies the
// HMAC and trusts the payload, so no lookup table of links is needed.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { FlywheelError } from '../errors.ts';

/** What a token can say. `m` is the send-log message key; short names keep URLs short. */
export interface TokenPayload {
  /** action: o=open, c=click, u=unsubscribe, p=preferences, r=rsvp, s=survey */
  a: 'o' | 'c' | 'u' | 'p' | 'r' | 's';
  /** send-log id (hex ObjectId) the action belongs to */
  m: string;
  /** target URL (click) */
  u?: string;
  /** extra value (rsvp answer, survey score, link index) */
  v?: string;
}

const SIG_BYTES = 16;

export class TokenSigner {
  private readonly key: Buffer;
  constructor(secret: string) {
    this.key = Buffer.from(secret, 'utf8');
  }

  sign(payload: TokenPayload): string {
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** Returns the payload, or throws TOKEN_INVALID: never trusts an unsigned or altered token. */
  verify(token: string): TokenPayload {
    const dot = token.lastIndexOf('.');
    if (dot <= 0) throw invalid('malformed token');
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.mac(body), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid('bad signature');
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw invalid('unreadable payload');
    }
    if (!isPayload(payload)) throw invalid('unexpected payload shape');
    return payload;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, SIG_BYTES).toString('base64url');
  }
}

function isPayload(x: unknown): x is TokenPayload {
  if (typeof x !== 'object' || x === null) return false;
  const p = x as Record<string, unknown>;
  return typeof p.a === 'string' && 'ocupr s'.includes(p.a) && typeof p.m === 'string' &&
    (p.u === undefined || typeof p.u === 'string') && (p.v === undefined || typeof p.v === 'string');
}

function invalid(why: string): FlywheelError {
  return new FlywheelError('TOKEN_INVALID', `Invalid or tampered link token (${why}).`);
}

/** Builds the public URLs that carry tokens; the HTTP server mounts the matching routes. */
export class TrackingUrls {
  constructor(private readonly publicUrl: string, private readonly signer: TokenSigner) {}
  private url(path: string, p: TokenPayload): string {
    return `${this.publicUrl.replace(/\/$/, '')}/${path}/${this.signer.sign(p)}`;
  }
  openPixel(sendLogId: string): string { return this.url('o', { a: 'o', m: sendLogId }); }
  click(sendLogId: string, target: string): string { return this.url('c', { a: 'c', m: sendLogId, u: target }); }
  unsubscribe(sendLogId: string): string { return this.url('u', { a: 'u', m: sendLogId }); }
  preferences(sendLogId: string): string { return this.url('p', { a: 'p', m: sendLogId }); }
  rsvp(sendLogId: string, answer: 'yes' | 'no'): string { return this.url('r', { a: 'r', m: sendLogId, v: answer }); }
  survey(sendLogId: string, score: number): string { return this.url('s', { a: 's', m: sendLogId, v: String(score) }); }
}
