// Every link in a delivered message works for the member who got it: click links redirect
// to their original targets and count, the preference centre saves choices that the next
// send respects, RSVP answers are recorded, and altered links are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'node-html-parser';
import { openTestStore } from '../support/db.ts';
import { SmtpSink, type ReceivedMessage } from '../support/smtp-sink.ts';
import { broadcastCampaign, settleTracking, testConfig } from '../support/engine.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { sendNow } from '../../engine/scheduler/send-now.ts';
import { campaignFigures } from '../support/report.ts';
import type { Store } from '../../engine/store/index.ts';

const PUBLIC = 'http://links.flywheel.test';
let store: Store;
let sink: SmtpSink;
let engine: Engine;
let base: string;
let message: ReceivedMessage;
const campaign = broadcastCampaign('links-newsletter', 3);

const local = (url: string) => url.replace(PUBLIC, base);

beforeAll(async () => {
  store = await openTestStore('e2e_links');
  sink = await SmtpSink.start();
  engine = await createEngine(testConfig({ SMTP_URL: sink.url, FLYWHEEL_PUBLIC_URL: PUBLIC }), { store, campaigns: [campaign], processEveryMs: 100 });
  const app = await engine.http();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  await store.models.Member.create({ email: 'grace@example.org', name: '<b>Grace</b> Hopper', program: 'open-source', status: 'active' });
  await sendNow(engine, campaign.name, undefined);
  await sink.waitForMessages(1);
  message = sink.messages[0]!;
});
afterAll(async () => { await engine?.close(); await sink?.close(); await store?.close(); });

describe('links in a delivered newsletter', () => {
  it('shows the member\'s name escaped, never as markup', () => {
    expect(message.html).toContain('Hi &lt;b&gt;Grace&lt;/b&gt;,');
    expect(message.html).not.toContain('<b>Grace</b>');
  });

  it('every click link redirects to its original target, and the text part carries the same links', async () => {
    const hrefs = parse(message.html).querySelectorAll('a').map((a) => a.getAttribute('href')!).filter((h) => h.startsWith(`${PUBLIC}/c/`));
    const targets = new Set<string>();
    for (const href of hrefs) {
      const res = await fetch(local(href), { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(new URL(href).searchParams.get('u'));
      targets.add(res.headers.get('location')!);
    }
    expect(targets).toEqual(new Set(['https://flywheel.example/programs', 'https://flywheel.example/item/1', 'https://flywheel.example/item/2', 'https://flywheel.example/item/3', 'https://flywheel.example/blog']));
    const textLinks = new Set([...message.text.matchAll(/https?:\/\/\S+/g)].map((m) => m[0].replace(/[)\]>.,]+$/, '')).filter((u) => u.startsWith(`${PUBLIC}/c/`)).map((u) => new URL(u).searchParams.get('u')));
    expect(textLinks).toEqual(targets);
    await settleTracking(engine);
    // every link of one message followed within a second: a scanner, not a person
    const row = await campaignFigures(store, campaign.name);
    expect(row).toMatchObject({ clicks: hrefs.length, machineClicks: hrefs.length, uniqueClicks: 0, uniqueOpens: 0 });
  });

  it('refuses a click link whose target was swapped', async () => {
    const href = parse(message.html).querySelectorAll('a').map((a) => a.getAttribute('href')!).find((h) => h.startsWith(`${PUBLIC}/c/`))!;
    const forged = new URL(local(href));
    forged.searchParams.set('u', 'https://evil.example/phish');
    const res = await fetch(forged, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it('the preference centre saves topic choices, and the next newsletter is skipped for that member', async () => {
    const prefs = parse(message.html).querySelectorAll('a').map((a) => a.getAttribute('href')!).find((h) => h.startsWith(`${PUBLIC}/p/`))!;
    const page = await fetch(local(prefs));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="newsletter" value="on" checked');
    const saved = await fetch(local(prefs), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'events=on&caseStudies=on', redirect: 'manual' });
    expect(saved.status).toBe(303);
    const member = await store.models.Member.findOne({ email: 'grace@example.org' }).lean();
    expect(member?.topics).toMatchObject({ newsletter: false, events: true, caseStudies: true });
    const next = broadcastCampaign('links-next-issue');
    engine.campaigns.push(next);
    expect(await sendNow(engine, next.name, undefined)).toContain('nothing new to send');
    expect(sink.messages).toHaveLength(1);
  });

  it('an RSVP link shows the choice; only the button press records it (scanners follow links, not forms)', async () => {
    const rt = /\/o\/([^"]+)"/.exec(message.html)![1]!;
    for (const answer of ['yes', 'no']) {
      const shown = await fetch(`${base}/r/${rt}/${answer}`);
      expect(shown.status).toBe(200);
      expect(await shown.text()).toContain(`action="/r/${rt}/${answer}"`);
    }
    expect(await store.models.Event.countDocuments({ type: 'rsvp' })).toBe(0);
    const res = await fetch(`${base}/r/${rt}/yes`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('See you there');
    const events = await store.models.Event.find({ type: 'rsvp' }).lean();
    expect(events.map((e) => (e.data as { answer: string }).answer)).toEqual(['yes']);
    expect((await fetch(`${base}/r/${rt}/maybe`)).status).toBe(400);
    expect((await fetch(`${base}/r/${rt}/maybe`, { method: 'POST' })).status).toBe(400);
  });

  it('answers a link with a forged token with a readable error page', async () => {
    const res = await fetch(`${base}/u/000000000000000000000000.AAAAAAAAAAAAAAAAAAAAAA`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('This link does not work');
  });
});
