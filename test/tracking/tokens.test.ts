import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FlywheelError } from '../../engine/errors.ts';
import { TokenSigner, TrackingUrls, type RecipientRef } from '../../engine/tracking/tokens.ts';

const SECRET = randomBytes(32).toString('base64url');
const signer = new TokenSigner(SECRET);
const urls = new TrackingUrls('https://t.flywheel.test/', signer);
const REF: RecipientRef = {
  sendLogId: '65f1a2b3c4d5e6f708192a3b', memberId: '65f1a2b3c4d5e6f708192a00',
  campaign: 'onboarding-education', step: 'welcome', program: 'education', sentAt: new Date('2026-01-06T09:00:00Z'),
};
const TARGET = 'https://flywheel.example/blog/edge?utm_source=newsletter&utm_medium=email#top';

function rejected(rt: string): FlywheelError {
  try {
    signer.verifyRecipientToken(rt);
  } catch (err) {
    expect(err).toBeInstanceOf(FlywheelError);
    return err as FlywheelError;
  }
  throw new Error(`accepted ${rt}`);
}

/** Flips one character of a base64url string to another valid one. */
function flip(s: string, at: number): string {
  const c = s[at]!;
  return s.slice(0, at) + (c === 'A' ? 'B' : 'A') + s.slice(at + 1);
}

describe('recipient tokens', () => {
  it('carry everything a hit needs (send, member, campaign, step, program, send time) and verify back to it', () => {
    const rt = signer.recipientToken(REF);
    expect(signer.verifyRecipientToken(rt)).toEqual(REF);
    const noProgram = { ...REF, program: undefined, sendLogId: 'send-1' };
    expect(signer.verifyRecipientToken(signer.recipientToken(noProgram))).toEqual({ ...REF, sendLogId: 'send-1', program: undefined });
  });

  it('are opaque: neither ids nor names can be read from them', () => {
    const rt = signer.recipientToken(REF);
    const bytes = Buffer.from(rt, 'base64url');
    for (const visible of [REF.sendLogId, REF.memberId, REF.campaign, REF.step]) {
      expect(rt).not.toContain(visible);
      expect(bytes.includes(Buffer.from(visible))).toBe(false);
    }
    expect(bytes.includes(Buffer.from(REF.sendLogId, 'hex'))).toBe(false);
  });

  it('tokens of consecutive sends share no visible structure (not enumerable)', () => {
    const a = signer.recipientToken({ ...REF, sendLogId: '65f1a2b3c4d5e6f708192a3b' });
    const b = signer.recipientToken({ ...REF, sendLogId: '65f1a2b3c4d5e6f708192a3c' });
    let same = 0;
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] === b[i]) same++;
    expect(same).toBeLessThan(a.length / 4);
  });

  it('reject a token changed anywhere, even by one character', () => {
    const rt = signer.recipientToken(REF);
    for (const at of [0, 5, 21, 30, rt.length - 2]) expect(rejected(flip(rt, at)).code).toBe('TOKEN_INVALID');
  });

  it('reject a truncated or padded token', () => {
    const rt = signer.recipientToken(REF);
    expect(rejected(rt.slice(0, -1)).code).toBe('TOKEN_INVALID');
    expect(rejected(rt.slice(0, 30)).code).toBe('TOKEN_INVALID');
    expect(rejected(rt + 'A').code).toBe('TOKEN_INVALID');
    expect(rejected(rt + '=').message).toMatch(/malformed/);
  });

  it('reject a token signed with another secret (a forged token)', () => {
    const forger = new TokenSigner(randomBytes(32).toString('base64url'));
    expect(rejected(forger.recipientToken(REF)).message).toMatch(/bad signature/);
  });

  it('reject malformed tokens with a clear error', () => {
    for (const bad of ['', 'abc', 'a/b.c', '!'.repeat(40), 'A'.repeat(2000)]) {
      const err = rejected(bad);
      expect(err.code).toBe('TOKEN_INVALID');
      expect(err.message).toMatch(/^Invalid or tampered link token/);
    }
  });

  it('a bounce token is not a recipient token (domain separation)', () => {
    const bounce = Buffer.from(signer.bounceToken(REF.sendLogId), 'utf8').toString('base64url');
    expect(rejected(bounce).code).toBe('TOKEN_INVALID');
  });

  it('a well-formed token with a forged signature is rejected for its signature, not its shape', () => {
    const rt = signer.recipientToken(REF);
    const forged = randomBytes(Buffer.from(rt, 'base64url').length).toString('base64url');
    expect(forged).toHaveLength(rt.length);
    expect(rejected(forged).message).toMatch(/bad signature/);
  });

  it('refuse a weak, known or short secret', () => {
    for (const weak of ['', 'short', 'flywheel-development-secret-change-me', 'a'.repeat(40)]) {
      expect(() => new TokenSigner(weak)).toThrow(/secret/);
    }
  });
});

describe('bounce tokens (VERP)', () => {
  it('fit an address local part, survive lower-casing, and name the send', () => {
    const t = signer.bounceToken(REF.sendLogId);
    expect(`bounces+${t}`.length).toBeLessThanOrEqual(64);
    expect(t).toMatch(/^[a-z2-7]+$/);
    expect(signer.verifyBounceToken(t.toUpperCase())).toBe(REF.sendLogId);
  });

  it('reject a changed or foreign bounce token', () => {
    const t = signer.bounceToken(REF.sendLogId);
    const changed = t.slice(0, 10) + (t[10] === 'a' ? 'b' : 'a') + t.slice(11);
    expect(() => signer.verifyBounceToken(changed)).toThrow(/bounce/);
    expect(() => signer.verifyBounceToken(new TokenSigner(randomBytes(32).toString('base64url')).bounceToken(REF.sendLogId))).toThrow(/bounce/);
    expect(() => signer.verifyBounceToken('not base32!')).toThrow(/bounce/);
  });
});

describe('link signatures', () => {
  it('are 12 bytes, the same for every recipient, and verify', () => {
    const ls = signer.linkSignature(TARGET);
    expect(ls).toHaveLength(16);
    expect(signer.linkSignature(TARGET)).toBe(ls);
    expect(signer.verifyLink(TARGET, ls)).toBe(true);
  });

  it('reject a changed target', () => {
    const ls = signer.linkSignature(TARGET);
    expect(signer.verifyLink(TARGET.replace('edge', 'evil'), ls)).toBe(false);
    expect(signer.verifyLink('https://evil.example/', ls)).toBe(false);
    expect(signer.verifyLink(TARGET + '&x=1', ls)).toBe(false);
  });

  it('reject a changed, truncated or foreign signature', () => {
    const ls = signer.linkSignature(TARGET);
    expect(signer.verifyLink(TARGET, flip(ls, 3))).toBe(false);
    expect(signer.verifyLink(TARGET, ls.slice(0, -1))).toBe(false);
    expect(signer.verifyLink(TARGET, ls + 'A')).toBe(false);
    expect(signer.verifyLink(TARGET, '')).toBe(false);
    expect(signer.verifyLink(TARGET, new TokenSigner(randomBytes(32).toString('base64url')).linkSignature(TARGET))).toBe(false);
    expect(signer.verifyLink(TARGET, signer.recipientToken(REF).slice(0, 16))).toBe(false);
  });
});

describe('tracking URLs', () => {
  const rt = urls.recipient(REF);

  it('put the recipient token in every path and the click target in the query', () => {
    const base = 'https://t.flywheel.test';
    expect(urls.openPixel(rt)).toBe(`${base}/o/${rt}`);
    expect(urls.unsubscribe(rt)).toBe(`${base}/u/${rt}`);
    expect(urls.preferences(rt)).toBe(`${base}/p/${rt}`);
    expect(urls.rsvp(rt, 'yes')).toBe(`${base}/r/${rt}/yes`);
    expect(urls.rsvp(rt, 'no')).toBe(`${base}/r/${rt}/no`);
    expect(urls.survey(rt, 4)).toBe(`${base}/s/${rt}/4`);
    const ls = urls.linkSignature(TARGET);
    expect(urls.click(rt, TARGET, ls)).toBe(`${base}/c/${rt}/${ls}?u=${encodeURIComponent(TARGET)}`);
  });

  it('a click URL round-trips: the server recovers the send and a verified target', () => {
    const url = new URL(urls.click(rt, TARGET, urls.linkSignature(TARGET)));
    const [, , token, ls] = url.pathname.split('/');
    const target = url.searchParams.get('u')!;
    expect(target).toBe(TARGET);
    expect(signer.verifyRecipientToken(token!)).toEqual(REF);
    expect(signer.verifyLink(target, ls!)).toBe(true);
  });

  it('a click URL with a swapped target no longer verifies', () => {
    const url = new URL(urls.click(rt, TARGET, urls.linkSignature(TARGET)));
    url.searchParams.set('u', 'https://evil.example/');
    const ls = url.pathname.split('/')[3]!;
    expect(signer.verifyLink(url.searchParams.get('u')!, ls)).toBe(false);
  });
});
