import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyedSha256, TokenSeal } from '../../engine/tracking/token-seal.ts';

// The tokens in mail already sent were sealed with createHmac + aes-256-ctr: the faster sealing
// must produce and accept exactly those bytes.
const macKey = randomBytes(32);
const encKey = randomBytes(32);
const seal = new TokenSeal(macKey, encKey);

function standardSeal(plain: Buffer, tagBytes: number): Buffer {
  const tag = createHmac('sha256', macKey).update(plain).digest().subarray(0, tagBytes);
  const iv = Buffer.alloc(16);
  tag.copy(iv);
  const c = createCipheriv('aes-256-ctr', encKey, iv);
  return Buffer.concat([tag, c.update(plain), c.final()]);
}

describe('token sealing', () => {
  it('seals exactly as HMAC-SHA256 and AES-256-CTR do, for every length and both tag sizes', () => {
    for (const tagBytes of [8, 16]) {
      for (let length = 1; length <= 300; length++) {
        const plain = randomBytes(length);
        const sealed = seal.seal(plain, tagBytes);
        expect(sealed.equals(standardSeal(plain, tagBytes))).toBe(true);
        expect(seal.open(Buffer.from(sealed), tagBytes)?.equals(plain)).toBe(true);
      }
    }
  });

  it('counts CTR blocks across byte carries as OpenSSL does (tags ending in ff bytes)', () => {
    let found = 0;
    // search plaintexts whose tag ends in 0xff, 0xffff: the second block's counter carries into earlier bytes
    for (let i = 0; found < 3 && i < 200_000; i++) {
      const plain = randomBytes(70);
      const tag = createHmac('sha256', macKey).update(plain).digest();
      if (tag[15] !== 0xff) continue;
      found++;
      expect(seal.seal(plain, 16).equals(standardSeal(plain, 16))).toBe(true);
      expect(seal.open(standardSeal(plain, 16), 16)?.equals(plain)).toBe(true);
    }
    expect(found).toBe(3);
  });

  it('opens what the standard primitives sealed, and nothing altered, truncated or foreign', () => {
    const plain = Buffer.from('a recipient token payload of some seventy bytes, give or take a few....');
    const sealed = standardSeal(plain, 16);
    expect(seal.open(Buffer.from(sealed), 16)?.equals(plain)).toBe(true);
    for (let at = 0; at < sealed.length; at++) {
      const altered = Buffer.from(sealed);
      altered[at] = altered[at]! ^ 0x01;
      expect(seal.open(altered, 16)).toBeUndefined();
    }
    expect(seal.open(Buffer.from(sealed.subarray(0, sealed.length - 1)), 16)).toBeUndefined();
    expect(seal.open(Buffer.from(sealed.subarray(0, 16)), 16)).toBeUndefined();
    expect(new TokenSeal(randomBytes(32), encKey).open(Buffer.from(sealed), 16)).toBeUndefined();
  });

  it('its HMAC is HMAC-SHA256', () => {
    const key = randomBytes(32);
    const mac = new KeyedSha256(key);
    for (const data of [Buffer.alloc(0), randomBytes(1), randomBytes(64), randomBytes(1000)]) {
      expect(mac.mac(data).equals(createHmac('sha256', key).update(data).digest())).toBe(true);
    }
  });
});
