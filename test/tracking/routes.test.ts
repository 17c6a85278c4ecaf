// Every tracking route with valid, tampered, truncated and replayed tokens, over real HTTP
// against the real database: what is answered, and what ends up recorded and counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { openTestStore } from '../support/db.ts';
import { settleTracking, ShiftableClock, testConfig } from '../support/engine.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { campaignFigures } from '../support/report.ts';
import type { RecipientRef } from '../../engine/tracking/tokens.ts';
import type { Store } from '../../engine/store/index.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';
import { countStoredHits } from '../support/stored-hits.ts';

const BROWSER = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36' };
const TARGET = 'https://flywheel.example/docs';
const clock = new ShiftableClock();
let store: Store;
let engine: Engine;
let base: string;

async function member(email: string): Promise<RecipientRef> {
  const m = await store.models.Member.create({ email, name: email, program: 'education', status: 'active' });
  return { sendLogId: new Types.ObjectId().toHexString(), memberId: String(m._id), campaign: 'routes-test', step: 'welcome', program: 'education', sentAt: new Date(Date.now() - 86_400_000) };
}
const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
const report = async () => { await settleTracking(engine); return campaignFigures(store, 'routes-test'); };
const get = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { redirect: 'manual', ...init, headers: { ...BROWSER, ...(init.headers ?? {}) } });

beforeAll(async () => {
  store = await openTestStore('tracking_routes');
  engine = await createEngine(testConfig({ FLYWHEEL_TRANSPORT: 'outbox' }), { store, campaigns: [], clock });
  const app = await engine.http();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(async () => { await engine?.close(); await store?.close(); });

describe('open pixel', () => {
  it('answers the image for valid, tampered and truncated tokens, and records only the valid one; a replay is an open, not a unique open', async () => {
    const rt = engine.urls.recipient(await member('pixel@example.org'));
    for (const token of [rt, rt, flip(rt, 10), rt.slice(0, -4)]) {
      const res = await get(`/o/${token}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/gif');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    expect(await report()).toMatchObject({ humanOpens: 2, machineOpens: 0, uniqueOpens: 1 });
  });

  it('a HEAD request and a scanner are machine opens and make no unique open', async () => {
    const rt = engine.urls.recipient(await member('scanned@example.org'));
    expect((await get(`/o/${rt}`, { method: 'HEAD' })).status).toBe(200);
    expect((await get(`/o/${rt}`, { headers: { 'user-agent': 'Mozilla/5.0 (compatible; Barracuda Sentinel)' } })).status).toBe(200);
    const r = await report();
    expect(r).toMatchObject({ machineOpens: 2, uniqueOpens: 1 });
    expect(await store.models.Event.countDocuments({ type: 'first-open', key: `open:${engine.signer.verifyRecipientToken(rt).sendLogId}` })).toBe(0);
  });
});

describe('click redirect', () => {
  it('redirects a verified target; records valid tokens only; a click implies an open', async () => {
    const ref = await member('clicker@example.org');
    const rt = engine.urls.recipient(ref);
    const ls = engine.urls.linkSignature(TARGET);
    const u = encodeURIComponent(TARGET);
    for (const token of [rt, flip(rt, 12), rt.slice(0, 40)]) {
      clock.shiftMs += 5000; // a person, not a burst
      const res = await get(`/c/${token}/${ls}?u=${u}`);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(TARGET);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    clock.shiftMs += 5000;
    expect((await get(`/c/${rt}/${ls}?u=${u}`)).status).toBe(302); // replayed
    expect((await get(`/c/${rt}/${flip(ls, 3)}?u=${u}`)).status).toBe(400);
    expect((await get(`/c/${rt}/${ls}?u=${encodeURIComponent('https://evil.example/')}`)).status).toBe(400);
    await settleTracking(engine);
    expect(await countStoredHits(store, { kind: 'click', sendLogId: ref.sendLogId })).toBe(2);
    expect(await store.models.Event.collection.countDocuments({ type: 'first-click', sendLogId: ref.sendLogId } as never)).toBe(1);
    expect(await store.models.Event.collection.countDocuments({ type: 'first-open', sendLogId: ref.sendLogId } as never)).toBe(1);
  });
});

describe('survey answers (CSAT)', () => {
  it('records one answer per member and step; a second answer replaces the first; a comment can follow', async () => {
    const ref = await member('csat@example.org');
    const rt = engine.urls.recipient(ref);
    const before = await report();
    const first = await get(`/s/${rt}/4`);
    expect(first.status).toBe(200);
    const page = await first.text();
    expect(page).toContain('Thank you');
    expect(page).toContain(`action="/s/${rt}"`);
    expect(first.headers.get('content-security-policy')).toContain("script-src 'none'");
    expect((await report())).toMatchObject({ csatCount: before.csatCount + 1, csatSum: before.csatSum + 4 });
    clock.shiftMs += 60_000; // changes their mind a minute later
    expect((await get(`/s/${rt}/2`)).status).toBe(200);
    expect((await report())).toMatchObject({ csatCount: before.csatCount + 1, csatSum: before.csatSum + 2 });
    const comment = await get(`/s/${rt}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'comment=Loved+the+onboarding' });
    expect(comment.status).toBe(200);
    const answer = await store.models.Event.collection.findOne({ _id: `csat:routes-test:welcome:${ref.memberId}` } as never);
    expect(answer).toMatchObject({ type: 'csat', data: { score: 2 }, comment: 'Loved the onboarding' });
  });

  it('refuses tampered, truncated tokens and scores outside 1-5, recording nothing', async () => {
    const rt = engine.urls.recipient(await member('csat-bad@example.org'));
    const before = await report();
    for (const path of [`/s/${flip(rt, 7)}/3`, `/s/${rt.slice(0, 50)}/3`, `/s/${rt}/6`, `/s/${rt}/0`, `/s/${rt}/x`]) {
      expect((await get(path)).status).toBe(400);
    }
    expect(await report()).toMatchObject({ csatCount: before.csatCount, csatSum: before.csatSum });
  });

  it('a scanner following every score of a message at once gives no answer', async () => {
    const rt = engine.urls.recipient(await member('csat-scanner@example.org'));
    const before = await report();
    for (const s of [1, 2, 3, 4, 5]) expect((await get(`/s/${rt}/${s}`)).status).toBe(200);
    expect(await report()).toMatchObject({ csatCount: before.csatCount, csatSum: before.csatSum });
  });
});

describe('unsubscribe', () => {
  it('GET only asks for confirmation (link scanners must not unsubscribe anyone)', async () => {
    const ref = await member('scanner-target@example.org');
    const res = await get(`/u/${engine.urls.recipient(ref)}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Unsubscribe scanner-target@example.org?');
    expect(await (await ledgerModels(store)).Suppression.countDocuments({ key: 'scanner-target@example.org' })).toBe(0);
  });

  it('one-click POST works with urlencoded and with multipart bodies (RFC 8058), and a replay counts once', async () => {
    const before = await report();
    const a = engine.urls.recipient(await member('oneclick-form@example.org'));
    const b = engine.urls.recipient(await member('oneclick-multipart@example.org'));
    const urlencoded = () => get(`/u/${a}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect((await urlencoded()).status).toBe(200);
    expect((await urlencoded()).status).toBe(200);
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');
    const multipart = await get(`/u/${b}`, { method: 'POST', body: form });
    expect(multipart.status).toBe(200);
    expect(await multipart.text()).toBe('unsubscribed');
    expect(await (await ledgerModels(store)).Suppression.countDocuments({ key: { $in: ['oneclick-form@example.org', 'oneclick-multipart@example.org'] } })).toBe(2);
    expect((await report()).unsubscribes).toBe(before.unsubscribes + 2);
  });

  it('refuses tampered and truncated tokens without unsubscribing anyone', async () => {
    const rt = engine.urls.recipient(await member('not-me@example.org'));
    for (const token of [flip(rt, 20), rt.slice(0, 60)]) {
      const res = await get(`/u/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
      expect(res.status).toBe(400);
    }
    expect(await (await ledgerModels(store)).Suppression.countDocuments({ key: 'not-me@example.org' })).toBe(0);
  });
});

describe('preferences and RSVP', () => {
  it('refuse tampered and truncated tokens with a readable page', async () => {
    const rt = engine.urls.recipient(await member('prefs@example.org'));
    for (const path of [`/p/${flip(rt, 5)}`, `/p/${rt.slice(0, 30)}`, `/r/${flip(rt, 5)}/yes`]) {
      const res = await get(path);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('This link does not work');
    }
    expect((await get(`/r/${flip(rt, 5)}/yes`, { method: 'POST' })).status).toBe(400);
  });
});

describe('safety', () => {
  it('pages carry a CSP without inline scripts, no-referrer and nosniff; the style sheet is a file', async () => {
    const rt = engine.urls.recipient(await member('headers@example.org'));
    const res = await get(`/p/${rt}`);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'none'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).not.toMatch(/<script|<style|style="/i);
    expect((await get('/assets/pages.css')).headers.get('content-type')).toMatch(/text\/css/);
  });

  it('a body over the limit is refused with 413', async () => {
    const rt = engine.urls.recipient(await member('big@example.org'));
    const res = await get(`/s/${rt}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `comment=${'x'.repeat(40_000)}` });
    expect(res.status).toBe(413);
  });

  it('POST routes are rate limited', async () => {
    const rt = engine.urls.recipient(await member('limited@example.org'));
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) statuses.push((await get(`/r/${rt}/no`, { method: 'POST' })).status);
    // 30 a minute per address and route (one was used above): the rest get 429 with Retry-After
    expect(statuses.slice(0, 25).every((s) => s === 200)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });

  it('/healthz reports the database and the tracking buffer', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, database: 'up', tracking: { bufferFull: false } });
  });
});

describe('the job dashboard API', () => {
  it('refuses a cross-site form post and non-JSON writes; accepts JSON from its own origin', async () => {
    const withDash = await createEngine(testConfig({ FLYWHEEL_DASHBOARD_PASSWORD: 'correct horse battery', FLYWHEEL_PUBLIC_URL: 'https://flywheel.example' }), { store, campaigns: [] });
    try {
      const app = await withDash.http();
      const auth = `Basic ${Buffer.from('operator:correct horse battery').toString('base64')}`;
      const jobs = () => store.db.collection('agendaJobs').countDocuments({ name: 'evil-job' });
      const before = await jobs();
      const crossSite = await app.inject({ method: 'POST', url: '/dash/api/jobs/create', headers: { authorization: auth, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, payload: 'jobName=evil-job&jobSchedule=now' });
      expect(crossSite.statusCode).toBe(403);
      const crossSiteJson = await app.inject({ method: 'POST', url: '/dash/api/jobs/create', headers: { authorization: auth, origin: 'https://evil.example', 'content-type': 'application/json' }, payload: JSON.stringify({ jobName: 'evil-job', jobSchedule: 'now' }) });
      expect(crossSiteJson.statusCode).toBe(403);
      const form = await app.inject({ method: 'POST', url: '/dash/api/jobs/create', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'jobName=evil-job&jobSchedule=now' });
      expect(form.statusCode).toBe(415);
      expect(await jobs()).toBe(before);
      const own = await app.inject({ method: 'POST', url: '/dash/api/jobs/create', headers: { authorization: auth, origin: 'https://flywheel.example', 'content-type': 'application/json' }, payload: JSON.stringify({ jobName: 'operator-job', jobSchedule: 'in 1 hour' }) });
      expect(own.statusCode).toBe(200);
      await app.close();
    } finally {
      await withDash.close();
    }
  });
});
