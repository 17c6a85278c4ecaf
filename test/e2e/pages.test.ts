// The pages a member sees after clicking "Email preferences" or "Unsubscribe", driven in a
// real (Debian) Chromium: the forms work as a person would use them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { campaignFigures } from '../support/report.ts';
import { openTestStore } from '../support/db.ts';
import { testConfig } from '../support/engine.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { CHROMIUM_PATH } from '../../engine/render/screenshot.ts';
import type { Store } from '../../engine/store/index.ts';
import { Types } from 'mongoose';
import { ledgerModels } from '../../engine/ledger/models.ts';

let store: Store;
let engine: Engine;
let browser: Browser;
let base: string;
let rt: string;

beforeAll(async () => {
  store = await openTestStore('e2e_pages');
  engine = await createEngine(testConfig({ FLYWHEEL_TRANSPORT: 'outbox' }), { store, campaigns: [] });
  const app = await engine.http();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const member = await store.models.Member.create({ email: 'katherine@example.org', name: 'Katherine Johnson', program: 'education', status: 'active' });
  const sendLogId = new Types.ObjectId();
  await (await ledgerModels(store)).SendLog.create({ _id: sendLogId, key: 'k', campaign: 'newsletter-education', step: 'monthly', memberId: member._id, email: member.email, template: 'newsletter', dueAt: new Date(0), messageId: 'm@test' });
  rt = engine.urls.recipient({ sendLogId: String(sendLogId), memberId: String(member._id), campaign: 'newsletter-education', step: 'monthly', program: 'education', sentAt: new Date('2026-01-06T09:00:00Z') });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu'] });
});
afterAll(async () => { await browser?.close(); await engine?.close(); await store?.close(); });

describe('member pages in a browser', () => {
  it('the preference centre turns a topic off and shows that it saved', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/p/${rt}`);
    expect(await page.textContent('h1')).toBe('Email preferences');
    await page.getByLabel('Event invitations').uncheck();
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByLabel('Event invitations').isChecked()).toBe(false);
    expect(await page.getByLabel('Monthly newsletter').isChecked()).toBe(true);
    const member = await store.models.Member.findOne({ email: 'katherine@example.org' }).lean();
    expect(member?.topics).toMatchObject({ newsletter: true, events: false });
    expect(await (await ledgerModels(store)).Suppression.countDocuments({ key: 'katherine@example.org#events' })).toBe(1);
    await page.close();
  });

  it('unsubscribe asks for confirmation, then confirms, and is recorded once', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/u/${rt}`);
    expect(await page.textContent('h1')).toBe('Unsubscribe katherine@example.org?');
    expect(await (await ledgerModels(store)).Suppression.countDocuments({ key: 'katherine@example.org' })).toBe(0);
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await page.waitForSelector('text=You are unsubscribed');
    await page.goBack();
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await page.waitForSelector('text=You are unsubscribed');
    await engine.counters.flush();
    expect(await (await ledgerModels(store)).Suppression.countDocuments({ key: 'katherine@example.org' })).toBe(1);
    const row = await campaignFigures(store, 'newsletter-education');
    expect(row!.unsubscribes).toBe(1);
    await page.close();
  });
});
