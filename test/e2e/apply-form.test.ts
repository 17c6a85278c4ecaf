// The application form as an applicant uses it, in a real (Debian) Chromium: submit with
// mistakes, read each error next to its field with the typed values kept, fix them, submit,
// and see the confirmation. Screenshots go to test-output/ for a person to look at.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { openTestStore } from '../support/db.ts';
import { testConfig } from '../support/engine.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { ManualClock } from '../../engine/clock.ts';
import { CHROMIUM_PATH } from '../../engine/render/screenshot.ts';
import { ROOT_DIR, type Store } from '../../engine/store/index.ts';
import { applicationModels } from '../../engine/applications/index.ts';

let store: Store;
let engine: Engine;
let browser: Browser;
let base: string;
const shots = join(ROOT_DIR, 'test-output', 'apply-form');

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  store = await openTestStore('e2e_apply_form');
  // Monday 9 March 2026, 15:00 UTC
  engine = await createEngine(testConfig({ FLYWHEEL_TRANSPORT: 'outbox' }), { store, campaigns: [], clock: new ManualClock('2026-03-09T15:00:00Z') });
  const app = await engine.http();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu'] });
});
afterAll(async () => { await browser?.close(); await engine?.close(); await store?.close(); });

describe('the application form in a browser', () => {
  it('shows errors next to the fields, keeps what was typed, and confirms once fixed', async () => {
    // no JavaScript at all: the form must work as plain HTML
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 800, height: 1000 } });
    const page = await context.newPage();
    await page.goto(`${base}/apply/open-source`);
    expect(await page.textContent('h1')).toBe('Apply to Flywheel for Open Source');
    await page.getByLabel('Full name').fill('Margaret <b>Hamilton</b>');
    await page.getByLabel('Email').fill('margaret@apollo');
    await page.getByLabel('Repository URL').fill('github.com/apollo/agc');
    await page.getByLabel('What does the project do?').fill('Guidance computer software.');
    await page.getByRole('button', { name: 'Send application' }).click();
    await page.getByRole('alert').waitFor();
    await page.screenshot({ path: join(shots, '1-errors.png'), fullPage: true });

    expect(await page.getByRole('alert').textContent()).toContain('Please correct the 3 fields marked below.');
    // each message sits inside its own field's block, under the input
    expect(await page.locator('.field:has(#f-email) .error').textContent()).toBe('Email "margaret@apollo" is not an email address');
    expect(await page.locator('.field:has(#f-repository) .error').textContent()).toBe('Repository URL must be a web address starting with https://');
    expect(await page.locator('.field:has(#f-licence) .error').textContent()).toBe('Licence is required');
    expect(await page.locator('.field:has(#f-name) .error').count()).toBe(0);
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    // typed values are kept (and the markup someone typed stays text)
    expect(await page.getByLabel('Full name').inputValue()).toBe('Margaret <b>Hamilton</b>');
    expect(await page.getByLabel('What does the project do?').inputValue()).toBe('Guidance computer software.');
    expect(await page.locator('b').count()).toBe(0);
    expect(await (await applicationModels(store)).Application.countDocuments()).toBe(0);

    await page.getByLabel('Email').fill('margaret@apollo.example');
    await page.getByLabel('Repository URL').fill('https://git.example/apollo/agc');
    await page.getByLabel('Licence').fill('Apache-2.0');
    await page.getByRole('button', { name: 'Send application' }).click();
    await page.getByRole('status').waitFor();
    await page.screenshot({ path: join(shots, '2-confirmation.png'), fullPage: true });
    expect(await page.textContent('h1')).toBe('Application received');
    // Apache-2.0 is OSI-approved: the program's rule awarded it at once
    expect(await page.getByRole('status').textContent()).toContain('You are in.');
    const stored = await (await applicationModels(store)).Application.find().lean();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ name: 'Margaret <b>Hamilton</b>', email: 'margaret@apollo.example', status: 'awarded', decidedBy: { kind: 'rule', name: 'osi-licence' } });
    await context.close();
  });

  it('a pending application is told the date of the promised decision, in the program zone', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/apply/startups`);
    await page.getByLabel('Full name').fill('Ada Yonath');
    await page.getByLabel('Email').fill('ada@ribosome.example');
    await page.getByLabel('Company', { exact: true }).fill('Ribosome Inc');
    await page.getByLabel('Company website').fill('https://ribosome.example');
    await page.getByLabel('Funding stage').selectOption('seed');
    await page.getByRole('button', { name: 'Send application' }).click();
    await page.getByRole('status').waitFor();
    await page.screenshot({ path: join(shots, '3-pending.png'), fullPage: true });
    // Monday 9 March + 10 business days in Los Angeles = Monday 23 March
    expect(await page.getByRole('status').textContent()).toContain('we will decide by Monday 23 March 2026');
    await page.close();
  });
});
