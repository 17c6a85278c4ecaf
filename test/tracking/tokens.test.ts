import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FlywheelError } from '../../engine/errors.ts';
import { TokenSigner, TrackingUrls } from '../../engine/tracking/tokens.ts';

const SECRET = 'token-test-secret-0123456789';
const signer = new TokenSigner(SECRET);
const urls = new TrackingUrls('https://t.flywheel.test/', signer);
const ID = '65f1a2b3c4d5e6f708192a3b';
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
  it('carry the send-log id and a 16-byte HMAC of it, and verify back to the id', () => {
    const rt = signer.recipientToken(ID);
    const expectedSig = createHmac('sha256', SECRET).update('r:' + ID).digest().subarray(0, 16).toString('base64url');
    expect(rt).toBe(`${ID}.${expectedSig}`);
    expect(signer.verifyRecipientToken(rt)).toBe(ID);
  });

  it('reject a token whose id was changed, even by one character', () => {
    const rt = signer.recipientToken(ID);
    expect(rejected(flip(rt, 0)).code).toBe('TOKEN_INVALID');
    expect(rejected(`65f1a2b3c4d5e6f708192a3c${rt.slice(ID.length)}`).message).toMatch(/bad signature/);
  });

  it('reject a token whose signature was changed, shortened or padded', () => {
    const rt = signer.recipientToken(ID);
    for (const at of [ID.length + 1, rt.length - 1]) expect(rejected(flip(rt, at)).message).toMatch(/bad signature/);
    expect(rejected(rt.slice(0, -1)).message).toMatch(/malformed signature/);
    expect(rejected(rt + 'A').message).toMatch(/malformed signature/);
    expect(rejected(rt + '=').message).toMatch(/malformed signature/);
  });

  it('reject a token signed with another secret', () => {
    expect(rejected(new TokenSigner('another-secret').recipientToken(ID)).message).toMatch(/bad signature/);
  });

  it('reject malformed tokens with a clear error', () => {
    for (const bad of ['', ID, `.${signer.recipientToken(ID).split('.')[1]}`, `${ID}.`, 'a/b.c', `${ID}.${'!'.repeat(22)}`]) {
      const err = rejected(bad);
      expect(err.code).toBe('TOKEN_INVALID');
      expect(err.message).toMatch(/^Invalid or tampered link token \(malformed/);
    }
  });

  it('a link signature is not a recipient token (domain separation)', () => {
    const forged = `${ID}.${signer.linkSignature(ID)}`;
    expect(() => signer.verifyRecipientToken(forged)).toThrow(/TOKEN|token/);
  });

  it('refuses to sign an id that is not URL-safe', () => {
    expect(() => signer.recipientToken('a/b')).toThrow(FlywheelError);
    expect(() => signer.recipientToken('')).toThrow(/send-log id/);
  });
});

describe('link signatures', () => {
  it('are 12 bytes of HMAC over the target, the same for every recipient', () => {
    const ls = signer.linkSignature(TARGET);
    expect(ls).toBe(createHmac('sha256', SECRET).update('l:' + TARGET).digest().subarray(0, 12).toString('base64url'));
    expect(ls).toHaveLength(16);
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
    expect(signer.verifyLink(TARGET, new TokenSigner('another-secret').linkSignature(TARGET))).toBe(false);
    expect(signer.verifyLink(TARGET, signer.recipientToken(ID).split('.')[1]!.slice(0, 16))).toBe(false);
  });
});

describe('tracking URLs', () => {
  const rt = urls.recipient(ID);

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

  it('a click URL round-trips: the server recovers the send-log id and a verified target', () => {
    const url = new URL(urls.click(rt, TARGET, urls.linkSignature(TARGET)));
    const [, , token, ls] = url.pathname.split('/');
    const target = url.searchParams.get('u')!;
    expect(target).toBe(TARGET);
    expect(signer.verifyRecipientToken(token!)).toBe(ID);
    expect(signer.verifyLink(target, ls!)).toBe(true);
  });

  it("a click URL with a swapped target no longer verifies", () => {
    const url = new URL(urls.click(rt, TARGET, urls.linkSignature(TARGET)));
    url.searchParams.set('u', 'https://evil.example/');
    const ls = url.pathname.split('/')[3]!;
    expect(signer.verifyLink(url.searchParams.get('u')!, ls)).toBe(false);
  });
});
