// `flywheel kpis rebuild` recomputes the rollups from raw results and events, and the records
// counted beside them (members reached per month, renewal reminders sent); after a real send,
// a real renewal reminder, and real clicks, opens, a bounce and an unsubscribe over HTTP, the
// live ones and the recomputation agree record for record, and a rebuild restores what a lost
// flush dropped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'node-html-parser';
import { openTestStore } from '../support/db.ts';
import { SmtpSink, type ReceivedMessage } from '../support/smtp-sink.ts';
import { broadcastCampaign, settleTracking, ShiftableClock, testConfig } from '../support/engine.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { sendNow } from '../../engine/scheduler/send-now.ts';
import { readRollups, sumBy } from '../../engine/reports/rollups.ts';
import { compareRollups, liveCountedRecords, rebuildRollups, recomputeFromRaw, recomputeRollups } from '../../engine/reports/rebuild.ts';
import { days, defineCampaign, validateDefinition, where } from '../../engine/campaigns/index.ts';
import { REACH_SHARDS, REMINDER_SHARDS } from '../../engine/reports/send-records.ts';
import type { Store } from '../../engine/store/index.ts';

const PUBLIC = 'http://rebuild.flywheel.test';
let store: Store;
let sink: SmtpSink;
let engine: Engine;
let base: string;
const campaign = broadcastCampaign('rebuild-newsletter', 1);
const renewal = validateDefinition(defineCampaign({
  kind: 'renewal', name: 'rebuild-renewal', audience: where.status('active'),
  steps: [{ id: 'r-30', before: days(30), at: '10:00', template: 'renewal-reminder', subject: 'Your membership ends soon', data: { program: { name: 'Flywheel Programs', url: 'https://flywheel.example/programs' }, renewUrl: 'https://flywheel.example/renew', helpEmail: 'programs@flywheel.example', benefits: ['Credits'] } }],
}), 'rebuild-renewal.ts').campaign!;
// members read an hour after sending, a few seconds apart (faster would look like machines)
const clock = new ShiftableClock();
const BROWSER = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36' };
const local = (url: string) => url.replace(PUBLIC, base);
const byRecipient = (email: string): ReceivedMessage => sink.messages.find((m) => m.to.includes(email) && !/membership/.test(m.subject))!;
const clickLinks = (m: ReceivedMessage) => parse(m.html).querySelectorAll('a').map((a) => a.getAttribute('href')!).filter((h) => h.startsWith(`${PUBLIC}/c/`));
const pixel = (m: ReceivedMessage) => /<img[^>]+src="([^"]+\/o\/[^"]+)"/.exec(m.html)![1]!;

beforeAll(async () => {
  store = await openTestStore('reports_rebuild');
  sink = await SmtpSink.start();
  engine = await createEngine(testConfig({ SMTP_URL: sink.url, FLYWHEEL_PUBLIC_URL: PUBLIC }), { store, campaigns: [campaign, renewal], processEveryMs: 100, clock });
  const app = await engine.http();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  await store.models.Member.insertMany(['ada', 'grace', 'edsger', 'barbara', 'gone'].map((n, i) => ({
    email: `${n}@example.org`, name: n, program: i % 2 ? 'startups' : 'education', status: 'active',
    // ada and grace are due their renewal reminder
    ...(i < 2 ? { awardedAt: new Date(Date.now() - 345 * 86_400_000), expiresAt: new Date(Date.now() + 29 * 86_400_000) } : {}),
  })));
  sink.respond({ stage: 'rcpt', code: 550, recipient: 'gone@example.org' });
  await sendNow(engine, campaign.name, undefined);
  await sink.waitForMessages(4);
  expect(await sendNow(engine, renewal.name, 'r-30')).toMatch(/sent 2,/);
  await sink.waitForMessages(6);
  const ada = byRecipient('ada@example.org');
  const grace = byRecipient('grace@example.org');
  const edsger = byRecipient('edsger@example.org');
  const barbara = byRecipient('barbara@example.org');
  clock.shiftMs = 3600_000;
  for (const url of [pixel(ada), pixel(ada), pixel(grace)]) expect((await fetch(local(url), { headers: BROWSER })).status).toBe(200);
  for (const url of [clickLinks(ada)[0]!, clickLinks(ada)[1]!, clickLinks(edsger)[0]!]) {
    clock.shiftMs += 5000;
    expect((await fetch(local(url), { redirect: 'manual', headers: BROWSER })).status).toBe(302);
  }
  const unsubscribe = /<(http:[^>]+\/u\/[^>]+)>/.exec(barbara.headers['list-unsubscribe']!)![1]!;
  expect((await fetch(local(unsubscribe), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' })).status).toBe(200);
  await settleTracking(engine);
});
afterAll(async () => { await engine?.close(); await sink?.close(); await store?.close(); });

describe('kpis rebuild', () => {
  it('live rollups hold what happened, per program', async () => {
    const byProgram = sumBy(await readRollups(store, { campaign: campaign.name }), (r) => r.program);
    expect(byProgram.get('education')).toMatchObject({ sent: 2, failed: 1, bounces: 1, humanOpens: 2, uniqueOpens: 2, clicks: 3, uniqueClicks: 2, unsubscribes: 0 });
    expect(byProgram.get('startups')).toMatchObject({ sent: 2, failed: 0, bounces: 0, humanOpens: 1, uniqueOpens: 1, clicks: 0, uniqueClicks: 0, unsubscribes: 1 });
  });

  it('the recomputation from raw results and events agrees with the live rollups exactly', async () => {
    const live = await readRollups(store);
    const raw = await recomputeRollups(store);
    expect(raw.length).toBeGreaterThan(0);
    expect(compareRollups(live, raw)).toEqual([]);
    expect(raw).toEqual(live);
  });

  it('members reached and renewal reminders recomputed from the send records agree with the live ones', async () => {
    const live = await liveCountedRecords(store);
    const raw = await recomputeFromRaw(store);
    expect(live.reminders.map((r) => r._id.split('|').slice(1, 3).join('/'))).toEqual(['rebuild-renewal/r-30', 'rebuild-renewal/r-30']);
    expect(new Set(live.reach.map((r) => r.program))).toEqual(new Set(['education', 'startups']));
    expect(live.reach).toHaveLength(4); // the four members the newsletter reached (the renewals went to two of them, the same month)
    expect(raw.reach).toEqual(live.reach);
    expect(raw.reminders).toEqual(live.reminders);
  });

  it('a flush that never reached the database is found and repaired by a rebuild', async () => {
    const before = await readRollups(store);
    await store.models.Rollup.deleteMany({ program: 'startups' });
    const { differences } = await rebuildRollups(store, engine.clock.now());
    expect(differences.map((d) => `${d.campaign} ${d.program} ${d.metric} live ${d.live} raw ${d.raw}`).sort()).toEqual([
      'rebuild-newsletter startups humanOpens live 0 raw 1', 'rebuild-newsletter startups sent live 0 raw 2', 'rebuild-newsletter startups uniqueOpens live 0 raw 1',
      'rebuild-newsletter startups unsubscribes live 0 raw 1', 'rebuild-renewal startups sent live 0 raw 1',
    ]);
    expect(await readRollups(store)).toEqual(before);
    const again = await rebuildRollups(store, new Date(engine.clock.now().getTime() + 1));
    expect(again.differences).toEqual([]);
    expect([again.reach, again.reminders]).toEqual([{ missing: [], extra: [] }, { missing: [], extra: [] }]);
    expect(await readRollups(store)).toEqual(before);
  });

  it('reach and reminder records a lost flush dropped are restored by a rebuild, and ones no send supports are removed', async () => {
    const before = await liveCountedRecords(store);
    const lostReminder = before.reminders[0]!._id;
    const lostReach = before.reach.filter((r) => r.program === 'startups').map((r) => r._id);
    // a reminder shard that lost its first reminder, startups' reach lost, and a reach no send supports
    const reminderShards = store.db.collection(REMINDER_SHARDS);
    const [shard] = await reminderShards.find({}).toArray();
    await reminderShards.updateOne({ _id: shard!._id }, { $set: { reminders: JSON.stringify((JSON.parse(shard!.reminders) as Array<[string, string, number]>).filter(([m]) => !lostReminder.startsWith(m))) } });
    await store.db.collection(REACH_SHARDS).deleteMany({ program: 'startups' });
    await store.db.collection(REACH_SHARDS).insertOne({ _id: 'education|1999-01|stray' as never, program: 'education', month: '1999-01', writer: 'stray', members: 'nobody' });
    const outcome = await rebuildRollups(store, new Date(engine.clock.now().getTime() + 2));
    expect(outcome.reminders).toEqual({ missing: [lostReminder], extra: [] });
    expect(outcome.reach).toEqual({ missing: lostReach, extra: ['education|1999-01|nobody'] });
    expect(await liveCountedRecords(store)).toEqual(before);
  });
});
