// Signed, opaque, stateless tokens for every URL we put in an email. Two independent
// signatures keep the send cheap: a recipient token (one per recipient) carries everything a
// pixel, click or survey hit needs (send, member, campaign, step, program, send time), so the
// server answers without reading the database; a link signature (one per distinct target per
// compiled message) says the click target is ours. Tokens are sealed (HMAC-SIV: the MAC is
// also the IV of AES-CTR; token-seal.ts), so they reveal no ids and cannot be enumerated or altered.
import { hkdfSync, timingSafeEqual } from 'node:crypto';
import { FlywheelError } from '../errors.ts';
import { secretProblem } from '../secret.ts';
import { fromBase32, toBase32 } from './base32.ts';
import { KeyedSha256, TokenSeal } from './token-seal.ts';

/** What a recipient token says: which send, to whom, in which campaign step, and when. */
export interface RecipientRef {
  sendLogId: string;
  memberId: string;
  campaign: string;
  step: string;
  program?: string;
  /** when the message was rendered for sending (machine-open rules compare hit times with it) */
  sentAt: Date;
}

const RECIPIENT_TAG_BYTES = 16;
const BOUNCE_TAG_BYTES = 8;
const LINK_SIG_BYTES = 12;
const LINK_SIG_CHARS = Math.ceil((LINK_SIG_BYTES * 4) / 3);
const KIND_RECIPIENT = 1;
const KIND_BOUNCE = 2;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const OBJECT_ID = /^[0-9a-f]{24}$/;
/** Longer tokens are refused before any crypto (URL segments are small). */
const MAX_TOKEN_CHARS = 1200;

export class TokenSigner {
  private readonly sealer: TokenSeal;
  private readonly linkMac: KeyedSha256;
  constructor(secret: string) {
    const problem = secretProblem(secret);
    if (problem) throw new FlywheelError('TOKEN_SECRET_WEAK', `The link-signing secret ${problem}.`, { hint: 'Set FLYWHEEL_SECRET, or unset it to have one generated in the data directory.' });
    const derive = (info: string) => Buffer.from(hkdfSync('sha256', secret, 'flywheel-tokens-v2', info, 32));
    this.sealer = new TokenSeal(derive('mac'), derive('enc'));
    this.linkMac = new KeyedSha256(derive('link'));
  }

  /** The opaque token that goes into every tracking URL of one recipient's message. */
  recipientToken(ref: RecipientRef): string {
    const w = new Writer();
    w.byte(KIND_RECIPIENT);
    w.id(ref.sendLogId);
    w.id(ref.memberId);
    w.u32(Math.floor(ref.sentAt.getTime() / 1000));
    w.str(ref.campaign);
    w.str(ref.step);
    w.str(ref.program ?? '');
    return this.sealer.seal(w.done(), RECIPIENT_TAG_BYTES).toString('base64url');
  }

  /** Returns what the token says, or throws TOKEN_INVALID: never trusts an unsigned, altered or truncated token. */
  verifyRecipientToken(rt: string): RecipientRef {
    if (typeof rt !== 'string' || rt.length < 24 || rt.length > MAX_TOKEN_CHARS || !BASE64URL.test(rt)) throw invalid('malformed token');
    const plain = this.sealer.open(Buffer.from(rt, 'base64url'), RECIPIENT_TAG_BYTES);
    if (!plain) throw invalid('bad signature');
    try {
      const r = new Reader(plain);
      if (r.byte() !== KIND_RECIPIENT) throw new Error('kind');
      const sendLogId = r.id();
      const memberId = r.id();
      const sentAt = new Date(r.u32() * 1000);
      const campaign = r.str();
      const step = r.str();
      const program = r.str();
      r.end();
      return { sendLogId, memberId, sentAt, campaign, step, ...(program ? { program } : {}) };
    } catch {
      throw invalid('unreadable token');
    }
  }

  /**
   * A short, case-insensitive token for a VERP bounce address (`bounces+<token>@domain`): local
   * parts are limited to 64 characters and some mail servers lower-case them, so base32.
   */
  bounceToken(sendLogId: string): string {
    const w = new Writer();
    w.byte(KIND_BOUNCE);
    w.id(sendLogId);
    return toBase32(this.sealer.seal(w.done(), BOUNCE_TAG_BYTES));
  }

  /** The send-log id a bounce token names, or throws TOKEN_INVALID. */
  verifyBounceToken(token: string): string {
    const bytes = typeof token === 'string' && token.length <= 80 ? fromBase32(token) : undefined;
    const plain = bytes && this.sealer.open(bytes, BOUNCE_TAG_BYTES);
    if (!plain) throw invalid('bad bounce address');
    try {
      const r = new Reader(plain);
      if (r.byte() !== KIND_BOUNCE) throw new Error('kind');
      const id = r.id();
      r.end();
      return id;
    } catch {
      throw invalid('unreadable bounce address');
    }
  }

  /** Signature of one click target; the same for every recipient of a message. */
  linkSignature(target: string): string {
    return this.linkMac.mac(Buffer.from(target, 'utf8')).subarray(0, LINK_SIG_BYTES).toString('base64url');
  }

  /** True only when `ls` is this secret's signature of exactly `target`. */
  verifyLink(target: string, ls: string): boolean {
    if (typeof target !== 'string' || typeof ls !== 'string') return false;
    if (ls.length !== LINK_SIG_CHARS || !BASE64URL.test(ls)) return false;
    const a = Buffer.from(ls, 'latin1');
    const b = Buffer.from(this.linkSignature(target), 'latin1');
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

function invalid(why: string): FlywheelError {
  return new FlywheelError('TOKEN_INVALID', `Invalid or tampered link token (${why}).`);
}

/** Compact binary fields: ObjectIds as 12 bytes, other ids and names as short UTF-8 strings. */
class Writer {
  private readonly parts: Buffer[] = [];
  byte(n: number): void { this.parts.push(Buffer.from([n])); }
  u32(n: number): void { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); this.parts.push(b); }
  id(id: string): void {
    if (OBJECT_ID.test(id)) { this.byte(0); this.parts.push(Buffer.from(id, 'hex')); } else { this.byte(1); this.str(id); }
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    if (b.length > 255) throw new FlywheelError('TOKEN_FIELD_TOO_LONG', `Cannot put ${JSON.stringify(s.slice(0, 40))}… in a link token: at most 255 bytes.`);
    this.byte(b.length);
    this.parts.push(b);
  }
  done(): Buffer { return Buffer.concat(this.parts); }
}

/** Reads fields in place (no sub-buffers: a pixel hit reads six of them). */
class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  private skip(n: number): number {
    const from = this.at;
    if (from + n > this.buf.length) throw new Error('short');
    this.at += n;
    return from;
  }
  byte(): number { return this.buf[this.skip(1)]!; }
  u32(): number { return this.buf.readUInt32BE(this.skip(4)); }
  id(): string {
    if (this.byte() !== 0) return this.str();
    const from = this.skip(12);
    return this.buf.toString('hex', from, from + 12);
  }
  str(): string {
    const n = this.byte();
    const from = this.skip(n);
    return this.buf.toString('utf8', from, from + n);
  }
  end(): void { if (this.at !== this.buf.length) throw new Error('trailing bytes'); }
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
  /** The recipient token (`rt`) the other methods take: compute it once per recipient. */
  recipient(ref: RecipientRef): string { return this.signer.recipientToken(ref); }
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
