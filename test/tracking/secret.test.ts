// No public default secret: a fresh install generates its own, keeps it owner-only in the
// data directory, says so once, and refuses known or short secrets however it is run.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config.ts';
import { TokenSigner } from '../../engine/tracking/tokens.ts';

const OLD_PUBLIC_DEFAULT = 'flywheel-development-secret-change-me';
const fresh = () => mkdtempSync(join(tmpdir(), 'flywheel-secret-'));

describe('the link-signing secret', () => {
  it('is generated on first start into the data directory, owner-only, and announced once', () => {
    const dir = fresh();
    const said: string[] = [];
    const first = loadConfig({ FLYWHEEL_DATA_DIR: dir }, (l) => said.push(l));
    const second = loadConfig({ FLYWHEEL_DATA_DIR: dir }, (l) => said.push(l));
    expect(first.FLYWHEEL_SECRET).toBe(second.FLYWHEEL_SECRET);
    expect(first.FLYWHEEL_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(join(dir, 'secret'), 'utf8').trim()).toBe(first.FLYWHEEL_SECRET);
    expect(statSync(join(dir, 'secret')).mode & 0o777).toBe(0o600);
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(join(dir, 'secret'));
    expect(loadConfig({ FLYWHEEL_DATA_DIR: fresh() }, () => {}).FLYWHEEL_SECRET).not.toBe(first.FLYWHEEL_SECRET);
  });

  it('a token forged with the old public default is refused under the generated secret', () => {
    const config = loadConfig({ FLYWHEEL_DATA_DIR: fresh() }, () => {});
    const real = new TokenSigner(config.FLYWHEEL_SECRET);
    // what anyone could compute from the old source: `<id>.<HMAC(constant, 'r:' + id)>`
    const id = '65f1a2b3c4d5e6f708192a3b';
    const oldStyle = `${id}.${createHmac('sha256', OLD_PUBLIC_DEFAULT).update('r:' + id).digest().subarray(0, 16).toString('base64url')}`;
    expect(() => real.verifyRecipientToken(oldStyle)).toThrow(/Invalid or tampered/);
    // and a well-formed token sealed under any key but the generated one
    const forger = new TokenSigner(randomBytes(32).toString('base64url'));
    const forged = forger.recipientToken({ sendLogId: id, memberId: '65f1a2b3c4d5e6f708192a00', campaign: 'c', step: 's', sentAt: new Date(0) });
    expect(() => real.verifyRecipientToken(forged)).toThrow(/bad signature/);
  });

  it('refuses known and short secrets whatever NODE_ENV says', () => {
    for (const NODE_ENV of ['development', 'test', 'production']) {
      for (const FLYWHEEL_SECRET of [OLD_PUBLIC_DEFAULT, 'short-secret', 'changeme']) {
        expect(() => loadConfig({ NODE_ENV, FLYWHEEL_SECRET, FLYWHEEL_DATA_DIR: fresh() }, () => {})).toThrow(/FLYWHEEL_SECRET/);
      }
    }
  });

  it('refuses a secret file others can read, naming the fix', () => {
    const dir = fresh();
    loadConfig({ FLYWHEEL_DATA_DIR: dir }, () => {});
    chmodSync(join(dir, 'secret'), 0o644);
    expect(() => loadConfig({ FLYWHEEL_DATA_DIR: dir }, () => {})).toThrow(/readable by other users/);
  });

  it('refuses a secret file holding a weak value', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'secret'), 'short\n', { mode: 0o600 });
    expect(() => loadConfig({ FLYWHEEL_DATA_DIR: dir }, () => {})).toThrow(/at least 32 characters/);
  });
});
