// One member's journey through a delivered message, in a real (Debian) Chromium: the message
// is opened (its pixel loads), a tracked link followed, a satisfaction score given, the member
// unsubscribes in one click and then uses the preference centre. The report then shows exactly
// those events: one human open, one click, one answer, one unsubscribe; no machine activity.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { parse } from 'node-html-parser';
import { openTestStore } from '../support/db.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { settleTracking, ShiftableClock, testConfig } from '../support/engine.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { sendNow } from '../../engine/scheduler/send-now.ts';
import { defineCampaign, validateDefinition, where } from '../../engine/campaigns/index.ts';
import { campaignFigures } from '../support/report.ts';
import { CHROMIUM_PATH } from '../../engine/render/screenshot.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';
import type { Store } from '../../engine/store/index.ts';

const PUBLIC = 'http://journey.flywheel.test';
// a person's desktop browser (headless Chromium announces itself as HeadlessChrome: a scanner)
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const sample = JSON.parse(readFileSync('templates/onboarding-step.sample.json', 'utf8')) as { data: never };
const def = defineCampaign({ kind: 'broadcast', name: 'journey-onboarding', audience: where.status('active'), at: '2026-01-06T09:00', template: 'onboarding-step', subject: 'Step 2: ship your first function', data: sample.data });
const { campaign } = validateDefinition(def, 'journey-onboarding.ts');
const clock = new ShiftableClock();
let store: Store;
let sink: SmtpSink;
let engine: Engine;
let browser: Browser;
let base: string;

beforeAll(async () => {
  store = await openTestStore('e2e_member_journey');
  sink = await SmtpSink.start();
  engine = await createEngine(testConfig({ SMTP_URL: sink.url, FLYWHEEL_PUBLIC_URL: PUBLIC }), { store, campaigns: [campaign!], processEveryMs: 100, clock });
  const app = await engine.http();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  await store.models.Member.create({ email: 'hedy@example.org', name: 'Hedy Lamarr', program: 'education', status: 'active' });
  await sendNow(engine, campaign!.name, undefined);
  await sink.waitForMessages(1);
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu'] });
});
afterAll(async () => { await browser?.close(); await engine?.close(); await sink?.close(); await store?.close(); });

describe('a member in a browser', () => {
  it('opens, clicks, answers, unsubscribes in one click, sets preferences; the report shows exactly that', async () => {
    const html = sink.messages[0]!.html.replaceAll(PUBLIC, base);
    const hrefs = parse(html).querySelectorAll('a').map((a) => a.getAttribute('href')!);
    const context = await browser.newContext({ userAgent: USER_AGENT });
    let page = await context.newPage();
    clock.shiftMs = 3600_000; // read an hour after delivery

    // 1. open the message: the pixel loads
    const pixel = page.waitForResponse((r) => r.url().includes('/o/'));
    await page.setContent(html);
    expect((await pixel).status()).toBe(200);

    // 2. follow a tracked link: the browser is sent on to its target (which this machine cannot reach)
    clock.shiftMs += 20_000;
    const quickstart = hrefs.find((h) => h.includes('/c/') && decodeURIComponent(h).includes('https://docs.flywheel.example/quickstart'))!;
    const redirect = page.waitForResponse((r) => r.url().includes('/c/'));
    await page.goto(quickstart).catch(() => {}); // no internet: the target itself does not load
    expect((await redirect).status()).toBe(302);
    expect((await redirect).headers()['location']).toBe('https://docs.flywheel.example/quickstart');
    expect((await redirect).headers()['referrer-policy']).toBe('no-referrer');

    // 3. answer the satisfaction question with a 4, and leave a comment (a new tab, as from the mail client)
    clock.shiftMs += 20_000;
    await page.close();
    page = await context.newPage();
    await page.goto(hrefs.find((h) => /\/s\/[^/]+\/4$/.test(h))!);
    expect(await page.textContent('h1')).toBe('Thank you!');
    await page.getByLabel('Anything you would like to add? (optional)').fill('Clear and short.');
    await page.getByRole('button', { name: 'Send comment' }).click();
    await page.waitForSelector('text=Thank you for your comment');

    // 4. unsubscribe: the link asks, one click confirms
    clock.shiftMs += 20_000;
    await page.goto(hrefs.find((h) => h.includes('/u/'))!);
    expect(await page.textContent('h1')).toBe('Unsubscribe hedy@example.org?');
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await page.waitForSelector('text=You are unsubscribed');

    // 5. the preference centre: events off
    await page.goto(hrefs.find((h) => h.includes('/p/'))!);
    await page.getByLabel('Event invitations').uncheck();
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByLabel('Event invitations').isChecked()).toBe(false);
    await context.close();

    await settleTracking(engine);
    const row = await campaignFigures(store, campaign!.name);
    expect(row).toMatchObject({
      sent: 1, humanOpens: 1, machineOpens: 0, uniqueOpens: 1, clicks: 1, machineClicks: 0, uniqueClicks: 1,
      csatCount: 1, csatSum: 4, csatAverage: 4, unsubscribes: 1, bounces: 0, complaints: 0,
    });
    const { Suppression } = await ledgerModels(store);
    expect((await Suppression.find({ email: 'hedy@example.org' }).lean()).map((s) => s.key).sort()).toEqual(['hedy@example.org', 'hedy@example.org#events']);
  }, 90_000);
});
