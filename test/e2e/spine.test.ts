// The whole spine, end to end: a member in the database -> planned -> rendered -> sent
// over real SMTP -> the pixel URL in the received message is requested over HTTP ->
// the report counts the open.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/db.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { broadcastCampaign, settleTracking, ShiftableClock, testConfig } from '../support/engine.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { sendNow } from '../../engine/scheduler/send-now.ts';
import { campaignFigures } from '../support/report.ts';
import type { Store } from '../../engine/store/index.ts';

let store: Store;
let sink: SmtpSink;
let engine: Engine;
let baseUrl: string;
const campaign = broadcastCampaign('spine-newsletter');
const clock = new ShiftableClock();

beforeAll(async () => {
  store = await openTestStore('e2e_spine');
  sink = await SmtpSink.start();
  engine = await createEngine(testConfig({ SMTP_URL: sink.url, FLYWHEEL_PUBLIC_URL: 'http://flywheel.test' }), { store, campaigns: [campaign], processEveryMs: 100, clock });
  const app = await engine.http();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  baseUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

afterAll(async () => {
  await engine?.close();
  await sink?.close();
  await store?.close();
});

describe('a newsletter from database to inbox to report', () => {
  it('delivers a personal message whose pixel counts one unique open for two requests', async () => {
    await store.models.Member.create({ email: 'Ada.Lovelace@Example.org', name: 'Ada Lovelace', program: 'education', status: 'active', timezone: 'Europe/London' });
    await store.models.Member.create({ email: 'optout@example.org', name: 'Opted Out', program: 'education', status: 'active', topics: { newsletter: false } });

    await sendNow(engine, campaign.name, undefined);
    await sink.waitForMessages(1);
    const [message] = sink.messages;
    expect(sink.messages).toHaveLength(1);
    expect(message!.to).toEqual(['ada.lovelace@example.org']);
    expect(message!.html).toContain('Ada');
    expect(message!.text).toContain('Ada');
    expect(message!.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    expect(message!.headers['list-unsubscribe']).toMatch(/^<http:\/\/flywheel\.test\/u\/[^>]+>, <mailto:unsubscribe@/);

    const pixel = /<img[^>]+src="(http:\/\/flywheel\.test\/o\/[^"]+)"/.exec(message!.html)?.[1];
    expect(pixel).toBeDefined();
    const local = pixel!.replace('http://flywheel.test', baseUrl);
    clock.shiftMs = 3600_000; // the member reads it an hour later
    for (let i = 0; i < 2; i++) {
      const res = await fetch(local, { headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/gif');
    }
    await settleTracking(engine);
    const row = await campaignFigures(store, campaign.name);
    expect(row).toMatchObject({ sent: 1, opens: 2, humanOpens: 2, machineOpens: 0, uniqueOpens: 1, openRate: 1 });
  });

  it('sends nothing the second time the same step is sent', async () => {
    const outcome = await sendNow(engine, campaign.name, undefined);
    expect(outcome).toContain('nothing new to send');
    expect(sink.messages).toHaveLength(1);
  });

  it('a tampered pixel token is answered with the image but counts nothing', async () => {
    const res = await fetch(`${baseUrl}/o/0123456789abcdef01234567.AAAAAAAAAAAAAAAAAAAAAA`);
    expect(res.status).toBe(200);
    await settleTracking(engine);
    const row = await campaignFigures(store, campaign.name);
    expect(row!.opens).toBe(2);
  });

  it('one-click unsubscribe (RFC 8058) stops later sends to that member', async () => {
    const [message] = sink.messages;
    const unsubscribe = /<(http:\/\/flywheel\.test\/u\/[^>]+)>/.exec(message!.headers['list-unsubscribe']!)?.[1];
    const res = await fetch(unsubscribe!.replace('http://flywheel.test', baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(res.status).toBe(200);
    const member = await store.models.Member.findOne({ email: 'ada.lovelace@example.org' }).lean();
    expect(member?.unsubscribedAt).toBeInstanceOf(Date);
    const other = broadcastCampaign('spine-second');
    engine.campaigns.push(other);
    const outcome = await sendNow(engine, other.name, undefined);
    expect(outcome).toContain('nothing new to send');
    expect(sink.messages).toHaveLength(1);
  });
});

describe('the operators\' job dashboard', () => {
  it('is served at /dash only with the configured password', async () => {
    const withDash = await createEngine(testConfig({ FLYWHEEL_DASHBOARD_PASSWORD: 'correct horse' }), { store, campaigns: [campaign] });
    try {
      const app = await withDash.http();
      const anonymous = await app.inject({ method: 'GET', url: '/dash/' });
      expect(anonymous.statusCode).toBe(401);
      const wrong = await app.inject({ method: 'GET', url: '/dash/', headers: { authorization: `Basic ${Buffer.from('operator:nope').toString('base64')}` } });
      expect(wrong.statusCode).toBe(401);
      const right = await app.inject({ method: 'GET', url: '/dash/', headers: { authorization: `Basic ${Buffer.from('operator:correct horse').toString('base64')}` } });
      expect(right.statusCode).toBe(200);
      expect(right.body).toMatch(/agendash/i);
      await app.close();
    } finally {
      await withDash.close();
    }
  });

  it('is not mounted at all without a password', async () => {
    const app = await engine.http();
    expect((await app.inject({ method: 'GET', url: '/dash/' })).statusCode).toBe(404);
    await app.close();
  });
});
