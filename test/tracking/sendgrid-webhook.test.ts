// SendGrid's signed Event Webhook, end to end: a newsletter goes out through our SendGrid
// transport to the local stand-in of SendGrid's v3 API (SendGrid itself cannot be reached from
// here), the stand-in hands back the custom_args each message carried, and the test posts the
// events SendGrid would, signed with an ECDSA P-256 key whose public half is configured, over
// real HTTP to the running server. Figures are read from the report, suppressions from the ledger.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/db.ts';
import { broadcastCampaign, seedMembers, ShiftableClock, settleTracking, testConfig } from '../support/engine.ts';
import { SendGridStandin } from '../support/sendgrid-standin.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { sendNow } from '../../engine/scheduler/send-now.ts';
import { reportFor } from '../../engine/reports/index.ts';
import { calendarFromConfig } from '../../engine/calendar/config.ts';
import { suppressionsOf } from '../../engine/ledger/index.ts';
import type { Store } from '../../engine/store/index.ts';

const campaign = broadcastCampaign('webhook-news');
const clock = new ShiftableClock();
const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
// what SendGrid's console shows: the public key as base64 DER
const PUBLIC_KEY = keys.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
let store: Store;
let standin: SendGridStandin;
let engine: Engine;
let base: string;
let emails: string[];
/** email -> the sendLogId custom arg our transport gave SendGrid */
const sendOf = new Map<string, string>();

beforeAll(async () => {
  store = await openTestStore('tracking_sendgrid_webhook');
  standin = await SendGridStandin.start();
  const config = testConfig({ FLYWHEEL_TRANSPORT: 'sendgrid', SENDGRID_API_KEY: standin.apiKey, SENDGRID_API_URL: standin.baseUrl, SENDGRID_WEBHOOK_PUBLIC_KEY: PUBLIC_KEY });
  engine = await createEngine(config, { store, campaigns: [campaign], processEveryMs: 100, clock });
  const app = await engine.http();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  emails = await seedMembers(store, 7, 'sg');
  await sendNow(engine, campaign.name, undefined);
  for (const d of standin.deliveries) sendOf.set(d.to, d.customArgs.sendLogId!);
  clock.shiftMs = 3600_000; // the events arrive an hour later
});
afterAll(async () => { await engine?.close(); await standin?.close(); await store?.close(); });

let seq = 0;
type Event = Record<string, unknown>;
/** One event as SendGrid posts it: our custom_args appear as top-level fields. */
function event(email: string, type: string, extra: Event = {}): Event {
  return { email, event: type, timestamp: Math.floor(clock.now().getTime() / 1000), sg_event_id: `ev-${++seq}-${type}`, sg_message_id: `sg.${seq}`, 'smtp-id': '<x@y>', sendLogId: sendOf.get(email), campaign: campaign.name, step: 'send', ...extra };
}

async function post(body: string, options: { key?: KeyObject; timestamp?: number; signature?: string | null; tamper?: (b: string) => string } = {}) {
  const ts = String(options.timestamp ?? Math.floor(clock.now().getTime() / 1000));
  const signature = options.signature === undefined ? sign('sha256', Buffer.from(ts + body), { key: options.key ?? keys.privateKey, dsaEncoding: 'der' }).toString('base64') : options.signature;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-twilio-email-event-webhook-timestamp': ts };
  if (signature !== null) headers['x-twilio-email-event-webhook-signature'] = signature;
  const res = await fetch(`${base}/webhooks/sendgrid`, { method: 'POST', headers, body: options.tamper ? options.tamper(body) : body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function figures() {
  await settleTracking(engine);
  const report = await reportFor(store, [campaign], calendarFromConfig(engine.config), clock.now(), { campaign: campaign.name });
  return report.engagement.byCampaign[0]!;
}
const eventCount = () => store.models.Event.countDocuments({});

describe('POST /webhooks/sendgrid', () => {
  let batch: Event[];

  it('records every event type from a signed batch: bounces and spam reports suppress, each effect shows in the report', async () => {
    expect(sendOf.size).toBe(7);
    const [bounced, blocked, complained, left, leftGroup, reader, dropped] = emails as [string, string, string, string, string, string, string];
    batch = [
      ...emails.map((e) => event(e, 'processed')),
      ...emails.filter((e) => e !== dropped).map((e) => event(e, 'delivered', { response: '250 OK' })),
      event(bounced, 'bounce', { type: 'bounce', status: '5.1.1', reason: '550 5.1.1 no such user' }),
      event(blocked, 'bounce', { type: 'blocked', status: '4.7.1', reason: 'try later' }),
      event(blocked, 'deferred', { response: '421 busy', attempt: '2' }),
      event(complained, 'spamreport'),
      event(left, 'unsubscribe'),
      event(leftGroup, 'group_unsubscribe', { asm_group_id: 42 }),
      event(reader, 'open', { useragent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36', sg_machine_open: false }),
      event(reader, 'open', { useragent: 'Mozilla/5.0', sg_machine_open: true }),
      event(reader, 'click', { url: 'https://flywheel.example/item/1', useragent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0' }),
      event(dropped, 'dropped', { reason: 'Bounced Address' }),
    ];
    const res = await post(JSON.stringify(batch));
    expect(res).toMatchObject({ status: 200, body: { received: batch.length, correlated: batch.length, replayed: 0, invalid: 0 } });

    expect(await figures()).toMatchObject({
      sent: 7, bounces: 1, bouncedAfterSend: 1, delivered: 6, softBounces: 1, complaints: 1, unsubscribes: 1,
      humanOpens: 1, machineOpens: 1, uniqueOpens: 1, clicks: 1, uniqueClicks: 1,
    });
    expect((await suppressionsOf(store, bounced)).map((s) => s.reason)).toEqual(['hard-bounce']);
    expect(await suppressionsOf(store, blocked)).toEqual([]);
    expect((await suppressionsOf(store, complained)).map((s) => s.reason)).toEqual(['complaint']);
    expect((await suppressionsOf(store, left)).map((s) => s.reason)).toEqual(['unsubscribed']);
    expect((await suppressionsOf(store, leftGroup)).map((s) => [s.reason, s.topic])).toEqual([['topic-opt-out', 'newsletter']]);
    expect((await store.models.Member.findOne({ email: leftGroup }).lean())?.topics).toMatchObject({ newsletter: false });
    // the provider's own record of every event, tied to our send
    expect(await store.models.Event.countDocuments({ type: 'provider-processed', campaign: campaign.name })).toBe(7);
    expect(await store.models.Event.collection.countDocuments({ type: 'provider-dropped', sendLogId: sendOf.get(dropped) } as never)).toBe(1);
  });

  it('a replayed batch (same sg_event_ids, signed again later) is accepted and changes no figure', async () => {
    const before = { figures: await figures(), events: await eventCount() };
    clock.shiftMs += 60_000;
    const res = await post(JSON.stringify(batch));
    expect(res).toMatchObject({ status: 200, body: { received: batch.length, replayed: batch.length } });
    expect(await figures()).toEqual({ ...before.figures });
    expect(await eventCount()).toBe(before.events);
  });

  it('refuses a bad signature, a tampered body and missing headers, and records nothing', async () => {
    const before = await eventCount();
    const body = JSON.stringify([event(emails[5]!, 'click', { url: 'https://flywheel.example/x' })]);
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    expect(await post(body, { key: other })).toMatchObject({ status: 403, body: { error: expect.stringMatching(/signature does not match/) } });
    expect(await post(body, { tamper: (b) => b.replace('/x', '/y') })).toMatchObject({ status: 403 });
    expect(await post(body, { signature: 'bm90IGEgc2lnbmF0dXJl' })).toMatchObject({ status: 403 });
    expect(await post(body, { signature: null })).toMatchObject({ status: 401, body: { error: expect.stringMatching(/X-Twilio-Email-Event-Webhook-Signature/) } });
    expect(await eventCount()).toBe(before);
  });

  it('refuses a stale (or future) timestamp even with a valid signature', async () => {
    const before = await eventCount();
    const body = JSON.stringify([event(emails[5]!, 'open')]);
    const now = Math.floor(clock.now().getTime() / 1000);
    expect(await post(body, { timestamp: now - 3600 })).toMatchObject({ status: 403, body: { error: expect.stringMatching(/36\d\d s old \(limit 600 s\)/) } });
    expect(await post(body, { timestamp: now + 3600 })).toMatchObject({ status: 403, body: { error: expect.stringMatching(/in the future/) } });
    expect(await eventCount()).toBe(before);
  });

  it('a bounce for mail we cannot place still suppresses the address; a malformed event is named and kept, the rest recorded', async () => {
    const stranger = event('stranger@example.org', 'bounce', { type: 'bounce', status: '5.1.1', reason: 'no such user', sendLogId: undefined });
    const broken = { email: 'x@example.org', event: 'open', timestamp: 1 };
    const res = await post(JSON.stringify([stranger, broken]));
    expect(res).toMatchObject({ status: 200, body: { received: 2, correlated: 0, invalid: 1, problems: [expect.stringMatching(/^\[1\]\.sg_event_id: /)] } });
    expect((await suppressionsOf(store, 'stranger@example.org')).map((s) => s.reason)).toEqual(['hard-bounce']);
    expect(await store.models.Event.countDocuments({ type: 'provider-invalid' })).toBe(1);
    expect((await post('{"not":"an array"}')).status).toBe(400);
  });
});
