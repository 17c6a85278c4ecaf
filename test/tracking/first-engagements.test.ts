// A send's first open or click (its unique-open marker and count, the send's and the member's
// engagement fields that segments and drip branches read, a planning mark) is written by the
// writer at its own pace, coalesced, exactly once, and never lost: settled by a final flush,
// written at once when no hits come, kept in the spool file when the database is down at shutdown.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import pino from 'pino';
import { openTestStore } from '../support/db.ts';
import { systemClock } from '../../engine/clock.ts';
import { CounterBuffer } from '../../engine/reports/counters.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';
import { HitWriter } from '../../engine/tracking/hit-writer.ts';
import { FirstEngagements, writeFirstEngagements } from '../../engine/tracking/first-engagements.ts';
import { readRollups, sumBy } from '../../engine/reports/rollups.ts';
import { Spool } from '../../engine/tracking/spool.ts';
import { readPlanningMarks } from '../../engine/store/plan-marks.ts';
import type { Store } from '../../engine/store/index.ts';

const log = pino({ level: 'silent' });
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
let store: Store;
beforeAll(async () => { store = await openTestStore('tracking_first_engagements'); });
afterAll(async () => { await store?.close(); });

/** A member with `sends` sent messages; returns the refs their tokens would carry. */
async function memberWithSends(email: string, sends: number, campaign: string) {
  const member = await store.models.Member.create({ email, name: email, program: 'education', status: 'active' });
  const { SendLog } = await ledgerModels(store);
  return Promise.all(Array.from({ length: sends }, async (_, i) => {
    const _id = new Types.ObjectId();
    await SendLog.collection.insertOne({ _id, key: `${campaign}:s${i}:${member._id}:`, campaign, step: `s${i}`, occurrence: '', memberId: member._id, email, template: 't', status: 'sent', dueAt: new Date(0), messageId: `<${_id}@test>` });
    return { sendLogId: String(_id), memberId: String(member._id), campaign, step: `s${i}`, program: 'education', sentAt: new Date(Date.now() - 3600_000) };
  }));
}
const writerOn = (s: Store, spoolDir = mkdtempSync(join(tmpdir(), 'flywheel-spool-'))) =>
  new HitWriter({ store: s, counters: new CounterBuffer(s), clock: systemClock, log }, { spoolDir, flushEveryMs: 60_000 });
const sendOf = async (id: string) => (await ledgerModels(store)).SendLog.findById(id, { firstOpenedAt: 1, firstClickedAt: 1 }).lean();
const memberOf = async (id: string) => store.models.Member.findById(id, { lastOpenedAt: 1, lastClickedAt: 1 }).lean();

describe('first opens and clicks of sends', () => {
  it('a final flush writes each send\'s first open and click and each member\'s latest, and marks the member for planning', async () => {
    const [a, b] = await memberWithSends('engaged@example.org', 2, 'fields-test');
    const marksBefore = (await readPlanningMarks(store.db)).next;
    const writer = writerOn(store);
    const t = Date.now() - 60_000;
    writer.add({ kind: 'open', ref: a!, at: new Date(t), userAgent: BROWSER });
    writer.add({ kind: 'open', ref: a!, at: new Date(t + 5000), userAgent: BROWSER }); // a re-read: not a first open
    writer.add({ kind: 'open', ref: b!, at: new Date(t + 9000), userAgent: BROWSER });
    writer.add({ kind: 'click', ref: b!, at: new Date(t + 12_000), userAgent: BROWSER, target: 'https://flywheel.example/' });
    await writer.flush(true);
    expect(writer.stats.pendingEngagements).toBe(0);
    expect((await sendOf(a!.sendLogId))?.firstOpenedAt).toEqual(new Date(t));
    expect(await sendOf(b!.sendLogId)).toMatchObject({ firstOpenedAt: new Date(t + 9000), firstClickedAt: new Date(t + 12_000) });
    expect(await memberOf(a!.memberId)).toMatchObject({ lastOpenedAt: new Date(t + 9000), lastClickedAt: new Date(t + 12_000) });
    expect([...(await readPlanningMarks(store.db, marksBefore)).members]).toContain(a!.memberId);
    await writer.close();
  });

  it('with no more hits coming they are written without waiting for a final flush', async () => {
    const refs = await memberWithSends('quiet@example.org', 3, 'fields-quiet');
    const writer = writerOn(store);
    for (const r of refs) writer.add({ kind: 'open', ref: r, at: new Date(), userAgent: BROWSER });
    await writer.flush(); // pages and markers; the fields follow on their own
    await writer.flush(); // no hits came since: not busy
    const until = Date.now() + 10_000;
    while (Date.now() < until && !(await sendOf(refs[2]!.sendLogId))?.firstOpenedAt) await new Promise((r) => setTimeout(r, 50));
    for (const r of refs) expect((await sendOf(r.sendLogId))?.firstOpenedAt).toBeInstanceOf(Date);
    await writer.close();
  });

  it('what the database cannot take at shutdown is kept in the spool file and written by the next start', async () => {
    const [ref] = await memberWithSends('later@example.org', 1, 'fields-spool');
    const gone = await openTestStore('tracking_first_engagements_gone');
    await gone.close();
    const queue = new FirstEngagements(gone, new CounterBuffer(gone), { busy: () => false });
    const at = new Date(Date.now() - 30_000);
    const first = { kind: 'open' as const, sendLogId: ref!.sendLogId, memberId: ref!.memberId, campaign: ref!.campaign, step: ref!.step, program: 'education', at };
    queue.add([first]);
    const left = await queue.close();
    expect(left).toEqual([first]);

    // the writer keeps such leftovers as a spool line; the next start writes them
    const spoolDir = mkdtempSync(join(tmpdir(), 'flywheel-spool-'));
    const spool = new Spool<object>(spoolDir, 'hits');
    spool.write({ engaged: left.map((f) => ({ ...f, at: f.at.toISOString() })) });
    await spool.close();
    const next = writerOn(store, spoolDir);
    await next.close();
    expect(readdirSync(spoolDir)).toEqual([]);
    expect((await sendOf(ref!.sendLogId))?.firstOpenedAt).toEqual(at);
    expect((await memberOf(ref!.memberId))?.lastOpenedAt).toEqual(at);
  });

  it('written again (a retried write, a later hit another process saw first) it counts once and never moves the first open later', async () => {
    const [ref] = await memberWithSends('twice@example.org', 1, 'fields-twice');
    const counters = new CounterBuffer(store);
    const at = new Date(Date.now() - 50_000);
    const first = { kind: 'open' as const, sendLogId: ref!.sendLogId, memberId: ref!.memberId, campaign: ref!.campaign, step: ref!.step, at };
    await writeFirstEngagements(store, counters, [first]);
    await writeFirstEngagements(store, counters, [first]);
    await writeFirstEngagements(store, counters, [{ ...first, at: new Date(at.getTime() + 20_000) }]);
    await counters.flush();
    expect(sumBy(await readRollups(store, { campaign: 'fields-twice' }), (r) => r.campaign).get('fields-twice')).toMatchObject({ uniqueOpens: 1 });
    expect((await sendOf(ref!.sendLogId))?.firstOpenedAt).toEqual(at);
  });
});
