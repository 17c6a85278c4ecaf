// Graceful shutdown under load loses nothing: pixel hits are driven by concurrent clients, the
// server is stopped in the middle, started again, driven again; every hit that was answered
// 200 is in the database afterwards, exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { openTestStore } from '../support/db.ts';
import { testConfig, TEST_SECRET } from '../support/engine.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { TokenSigner } from '../../engine/tracking/tokens.ts';
import type { Store } from '../../engine/store/index.ts';
import { countStoredHits } from '../support/stored-hits.ts';

const BROWSER = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36' };
let store: Store;
beforeAll(async () => { store = await openTestStore('tracking_shutdown'); });
afterAll(async () => { await store?.close(); });

async function serve(): Promise<{ engine: Engine; base: string; stop: () => Promise<void> }> {
  const engine = await createEngine(testConfig({ FLYWHEEL_TRANSPORT: 'outbox' }), { store, campaigns: [] });
  const app = await engine.http();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  // what `flywheel serve` does on SIGTERM: stop taking requests, finish those in flight, flush, close
  return { engine, base, stop: async () => { await app.close(); await engine.close(); } };
}

/** `clients` loops requesting distinct pixels until told to stop; counts the 200s. */
function drive(base: string, tokens: string[], clients: number) {
  let running = true;
  let answered = 0;
  let next = 0;
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      try {
        const res = await fetch(`${base}/o/${tokens[next++ % tokens.length]}`, { headers: BROWSER });
        await res.arrayBuffer();
        if (res.status === 200) answered++;
      } catch {
        // refused: the server is stopping or stopped; not answered, so not owed
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  });
  return { stop: async () => { running = false; await Promise.all(loops); return answered; } };
}

describe('graceful shutdown', () => {
  it('persisted == answered across a stop in the middle of the load and a restart', async () => {
    const signer = new TokenSigner(TEST_SECRET);
    const sentAt = new Date(Date.now() - 3600_000);
    const tokens = Array.from({ length: 500 }, () => signer.recipientToken({ sendLogId: new Types.ObjectId().toHexString(), memberId: new Types.ObjectId().toHexString(), campaign: 'shutdown-test', step: 's', sentAt }));

    const first = await serve();
    const load1 = drive(first.base, tokens, 8);
    await new Promise((r) => setTimeout(r, 2500));
    await first.stop(); // mid-load
    const answered1 = await load1.stop();

    const second = await serve();
    const load2 = drive(second.base, tokens, 8);
    await new Promise((r) => setTimeout(r, 1000));
    const answered2 = await load2.stop();
    await second.stop();

    expect(answered1).toBeGreaterThan(10); // the stop really came mid-load
    const persisted = await countStoredHits(store, { kind: 'open', campaign: 'shutdown-test' });
    expect(persisted).toBe(answered1 + answered2);
  }, 60_000);
});
