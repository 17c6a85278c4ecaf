// The sealing under every token (tokens.ts): HMAC-SIV, tag = HMAC-SHA256(mac key, plain)[:n],
// ciphertext = AES-256-CTR(enc key, iv = tag padded to 16 bytes). Every pixel and click opens
// one, so this file does it without per-token crypto objects: createHmac and createCipheriv
// each look up their algorithm and key schedule again (about two thirds of a verification's
// cost). Here the HMAC pads are computed once and each token costs two one-shot SHA-256 calls,
// and the CTR key stream comes from one AES-256-ECB cipher kept for the key (CTR is ECB of the
// counter blocks). The bytes are exactly those of createHmac + aes-256-ctr: tokens already in
// sent mail keep verifying (test/tracking/token-seal.test.ts checks against those primitives).
import { createCipheriv, hash, timingSafeEqual, type Cipher } from 'node:crypto';

const BLOCK = 16;
const SHA256_BLOCK = 64;

const sha256 = (data: Buffer): Buffer => hash('sha256', data, 'buffer');

/** HMAC-SHA256 under one key: the RFC 2104 construction over pads computed once. */
export class KeyedSha256 {
  private readonly innerPad = Buffer.alloc(SHA256_BLOCK, 0x36);
  /** the outer pad with room for the inner digest after it */
  private readonly outer = Buffer.alloc(SHA256_BLOCK + 32, 0x5c);

  constructor(key: Buffer) {
    if (key.length > SHA256_BLOCK) throw new Error('HMAC key longer than a SHA-256 block');
    for (let i = 0; i < key.length; i++) {
      this.innerPad[i] = 0x36 ^ key[i]!;
      this.outer[i] = 0x5c ^ key[i]!;
    }
  }

  mac(data: Buffer): Buffer {
    const inner = Buffer.allocUnsafe(SHA256_BLOCK + data.length);
    this.innerPad.copy(inner, 0);
    data.copy(inner, SHA256_BLOCK);
    sha256(inner).copy(this.outer, SHA256_BLOCK);
    return sha256(this.outer);
  }
}

export class TokenSeal {
  private readonly hmac: KeyedSha256;
  /** AES-256 of single blocks (no chaining, no padding): the CTR key stream, block by block */
  private readonly blocks: Cipher;

  constructor(macKey: Buffer, encKey: Buffer) {
    this.hmac = new KeyedSha256(macKey);
    this.blocks = createCipheriv('aes-256-ecb', encKey, null).setAutoPadding(false);
  }

  /** tag || AES-CTR(plain), the tag the first `tagBytes` of the MAC */
  seal(plain: Buffer, tagBytes: number): Buffer {
    const out = Buffer.allocUnsafe(tagBytes + plain.length);
    this.hmac.mac(plain).copy(out, 0, 0, tagBytes);
    plain.copy(out, tagBytes);
    this.xorKeyStream(out.subarray(0, tagBytes), out.subarray(tagBytes));
    return out;
  }

  /** The plain bytes, or undefined when the tag does not match (altered, truncated, foreign). Decrypts `sealed` in place. */
  open(sealed: Buffer, tagBytes: number): Buffer | undefined {
    if (sealed.length <= tagBytes) return undefined;
    const tag = sealed.subarray(0, tagBytes);
    const plain = sealed.subarray(tagBytes);
    this.xorKeyStream(tag, plain);
    return timingSafeEqual(tag, this.hmac.mac(plain).subarray(0, tagBytes)) ? plain : undefined;
  }

  /** data ^= AES-CTR key stream from iv = tag (zero-padded), counting as OpenSSL does (128-bit big-endian). */
  private xorKeyStream(tag: Buffer, data: Buffer): void {
    const n = Math.ceil(data.length / BLOCK);
    if (n === 0) return;
    const counters = Buffer.allocUnsafe(n * BLOCK);
    const ivBytes = tag.copy(counters, 0, 0, Math.min(BLOCK, tag.length));
    counters.fill(0, ivBytes, BLOCK); // a short tag is zero-padded to the IV
    for (let b = 1; b < n; b++) {
      const at = b * BLOCK;
      counters.copy(counters, at, at - BLOCK, at);
      for (let i = at + BLOCK - 1; i >= at; i--) {
        const carried = counters[i]! + 1;
        counters[i] = carried & 0xff;
        if (carried <= 0xff) break;
      }
    }
    const stream = this.blocks.update(counters);
    for (let i = 0; i < data.length; i++) data[i] = data[i]! ^ stream[i]!;
  }
}
