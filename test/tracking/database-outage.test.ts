// The server with its embedded database first hung (SIGSTOP: connections open, nothing answers,
// the case where every route used to hang 15 s) and then really killed (SIGKILL): /healthz says
// so, database pages fail fast with 503 + Retry-After and no internal detail, one-click
// unsubscribes and pixel hits are still taken, the supervisor restarts the database, and what
// was accepted during the outage is then written.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { settleTracking, testConfig } from '../support/engine.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';
import { lockPathFor } from '../../engine/store/shared-server.ts';
import { countStoredHits } from '../support/stored-hits.ts';

const BROWSER = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36' };
const dataDir = mkdtempSync(join(tmpdir(), 'flywheel-outage-'));
let engine: Engine;
let base: string;

async function waitUntil(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

beforeAll(async () => {
  // its own embedded database (not the shared test server), so killing it harms no other test
  const config = testConfig({ FLYWHEEL_DATA_DIR: dataDir, FLYWHEEL_TRANSPORT: 'outbox', FLYWHEEL_OUTBOX_DIR: join(dataDir, 'outbox') });
  delete (config as { MONGODB_URI?: string }).MONGODB_URI;
  engine = await createEngine(config, { campaigns: [] });
  const app = await engine.http();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}, 120_000);
afterAll(async () => {
  await engine?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the database dies while the server runs', () => {
  it('health, fail-fast 503s, durable one-click unsubscribes and pixels, then recovery', async () => {
    const member = await engine.store.models.Member.create({ email: 'outage@example.org', name: 'Outage', program: 'education', status: 'active' });
    const ref = { sendLogId: new Types.ObjectId().toHexString(), memberId: String(member._id), campaign: 'outage-test', step: 'welcome', program: 'education', sentAt: new Date(Date.now() - 3600_000) };
    const rt = engine.urls.recipient(ref);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    const lock = JSON.parse(readFileSync(lockPathFor(join(dataDir, 'ferretdb')), 'utf8')) as { serverPid: number };
    process.kill(lock.serverPid, 'SIGSTOP');

    expect(await waitUntil(async () => (await fetch(`${base}/healthz`)).status === 503, 10_000)).toBe(true);
    const health = await (await fetch(`${base}/healthz`)).json() as Record<string, unknown>;
    expect(health).toMatchObject({ ok: false, database: 'down' });

    const t0 = performance.now();
    const page = await fetch(`${base}/p/${rt}`);
    const elapsed = performance.now() - t0;
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('30');
    expect(elapsed).toBeLessThan(2000);
    const body = await page.text();
    expect(body).not.toMatch(/127\.0\.0\.1|mongo|ECONNREFUSED|ferret|stack/i);

    const unsubscribe = await fetch(`${base}/u/${rt}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(unsubscribe.status).toBe(200);
    expect((await fetch(`${base}/o/${rt}`, { headers: BROWSER })).status).toBe(200);

    // killed for good: the supervisor starts it again; the driver reconnects; the backlog is written
    process.kill(lock.serverPid, 'SIGKILL');
    expect(await waitUntil(async () => (await fetch(`${base}/healthz`)).status === 200, 60_000)).toBe(true);
    const { Suppression } = await ledgerModels(engine.store);
    expect(await waitUntil(async () => (await Suppression.countDocuments({ key: 'outage@example.org' })) === 1, 30_000)).toBe(true);
    expect((await engine.store.models.Member.findById(member._id).lean())?.unsubscribedAt).toBeInstanceOf(Date);
    await settleTracking(engine);
    expect(await waitUntil(async () => (await countStoredHits(engine.store, { kind: 'open', sendLogId: ref.sendLogId })) === 1, 30_000)).toBe(true);
  }, 150_000);
});
