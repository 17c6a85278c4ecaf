// The report marketing opens: /reports and /reports/campaigns behind the operator password,
// and the HTML file `flywheel report --format html` writes, in a real Chromium: no console
// errors, every chart drawn. Screenshots are kept in test-output/reports/ for people to look at.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openTestStore, testMongoUri } from '../support/db.ts';
import { broadcastCampaign, testConfig } from '../support/engine.ts';
import { runFlywheel } from '../support/cli-process.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { ManualClock } from '../../engine/clock.ts';
import { CHROMIUM_PATH } from '../../engine/render/screenshot.ts';
import { ROOT_DIR, type Store } from '../../engine/store/index.ts';
import { seedEngagement, seedMembers } from './history.ts';

const ARTIFACTS = join(ROOT_DIR, 'test-output', 'reports');
const PASSWORD = 'reports-password-for-tests';
const DB = 'reports_pages';
let store: Store;
let engine: Engine;
let browser: Browser;
let base: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  store = await openTestStore(DB);
  await seedMembers(store);
  await seedEngagement(store);
  engine = await createEngine(testConfig({ FLYWHEEL_TRANSPORT: 'outbox', FLYWHEEL_DASHBOARD_PASSWORD: PASSWORD, FLYWHEEL_HOLIDAYS: '2026-04-03' }), {
    store, clock: new ManualClock('2026-12-20T12:00:00Z'), campaigns: [broadcastCampaign('news'), broadcastCampaign('meetup')],
  });
  const app = await engine.http();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
});
afterAll(async () => { await browser?.close(); await engine?.close(); await store?.close(); });

async function openChecked(url: string, credentials = true): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext(credentials ? { httpCredentials: { username: 'operator', password: PASSWORD }, viewport: { width: 1280, height: 900 } } : {});
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { page, errors };
}

/** Every chart figure has an SVG of real size with drawn marks. */
async function expectChartsDrawn(page: Page): Promise<void> {
  const charts = await page.$$eval('figure', (figs) => figs.map((f) => {
    const svg = f.querySelector('svg');
    const box = svg?.getBoundingClientRect();
    return { id: f.id, width: Math.round(box?.width ?? 0), height: Math.round(box?.height ?? 0), marks: svg?.querySelectorAll('.mark-rect path, .mark-line path, .mark-symbol path, .mark-rule line, .mark-text text').length ?? 0 };
  }));
  expect(charts.map((c) => c.id)).toEqual(['engagement-over-time', 'funnel-per-step', 'renewal-rate', 'time-to-award']);
  for (const c of charts) {
    expect(c.width, c.id).toBeGreaterThan(200);
    expect(c.height, c.id).toBeGreaterThan(60);
    expect(c.marks, c.id).toBeGreaterThan(0);
  }
}

describe('reports in a browser', () => {
  it('/reports without the password is refused', async () => {
    expect((await fetch(`${base}/reports`)).status).toBe(401);
    expect((await fetch(`${base}/reports/campaigns`)).status).toBe(401);
    const wrong = await fetch(`${base}/reports`, { headers: { authorization: `Basic ${Buffer.from('operator:guess').toString('base64')}` } });
    expect(wrong.status).toBe(401);
  });

  it('/reports shows the period\'s figures and four charts, with no console errors', async () => {
    const { page, errors } = await openChecked(`${base}/reports?from=2026-01-01&to=2026-12-31`);
    expect(await page.textContent('h1')).toBe('Engagement and membership');
    await expectChartsDrawn(page);
    const tiles = await page.$$eval('.tile', (ts) => ts.map((t) => t.textContent));
    expect(tiles).toContain('15sent');
    expect(tiles).toContain('50.0%renewal rate');
    expect(tiles).toContain('2median business days to award');
    await page.screenshot({ path: join(ARTIFACTS, 'reports-page.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('/reports answers JSON and CSV for the same filters, and a bad date with a 400 naming it', async () => {
    const auth = { authorization: `Basic ${Buffer.from(`operator:${PASSWORD}`).toString('base64')}` };
    const json = await (await fetch(`${base}/reports?from=2026-01-01&to=2026-12-31&program=startups&format=json`, { headers: auth })).json() as { programs: Array<{ program: string; renewalRate: number }> };
    expect(json.programs).toEqual([expect.objectContaining({ program: 'startups', renewalRate: 0.5 })]);
    const csv = await fetch(`${base}/reports?from=2026-01-01&to=2026-12-31&format=csv`, { headers: auth });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(await csv.text()).toContain('membership,program,education,renewalRate,0.5');
    const bad = await fetch(`${base}/reports?from=2026-02-30`, { headers: auth });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('--from: &#34;2026-02-30&#34; is not a date');
  });

  it('the campaign overview lists every campaign with kind, state, next run, last send and headline figures', async () => {
    const { page, errors } = await openChecked(`${base}/reports/campaigns`);
    const rows = await page.$$eval('tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim())));
    expect(rows.find((r) => r[0] === 'news')).toEqual(['news', 'broadcast', 'active', expect.stringMatching(/^(–|\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC.*)$/), '2026-06-01', '5', '50.0%', '100.0%', '1', '2']);
    expect(rows.find((r) => r[0] === 'renewal-startups')).toEqual(['renewal-startups', 'unknown', 'not registered', '–', '2026-07-02', '3', '0.0%', '0.0%', '0', '0']);
    await page.screenshot({ path: join(ARTIFACTS, 'reports-campaigns.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('`flywheel report --format html` writes one self-contained file that opens with its charts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flywheel-report-'));
    try {
      const file = join(dir, 'report.html');
      const env = { MONGODB_URI: testMongoUri(), FLYWHEEL_DB_NAME: `test_${DB}`, FLYWHEEL_HOLIDAYS: '2026-04-03', FLYWHEEL_SECRET: randomBytes(24).toString('base64') };
      const run = await runFlywheel(['report', '--from', '2026-01-01', '--to', '2026-12-31', '--format', 'html', '-o', file], env);
      expect(run.stderr).toContain(`wrote ${file}`);
      expect(run.code).toBe(0);
      const html = await readFile(file, 'utf8');
      expect(html).not.toMatch(/<script|<link[^>]+href="(?!data:)|src="http/);
      const { page, errors } = await openChecked(`file://${file}`, false);
      await expectChartsDrawn(page);
      await page.screenshot({ path: join(ARTIFACTS, 'report-file.png'), fullPage: true });
      expect(errors).toEqual([]);
      await page.context().close();

      const table = await runFlywheel(['report', '--from', '2026-01-01', '--to', '2026-12-31', '--program', 'startups'], env);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/Membership and retention\n.*\n.*\n  startups +0 +1 +2 +1 +1 +0 +50\.0% +1/);
      const bad = await runFlywheel(['report', '--to', '2026-31-12'], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('--to: "2026-31-12" is not a date; write YYYY-MM-DD');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
