// Counters kept at event time: per day, campaign, step and program, summed over every
// writing process; a flush that fails is logged, loses nothing and never double counts.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/db.ts';
import { CounterBuffer } from '../../engine/reports/counters.ts';
import { readRollups } from '../../engine/reports/rollups.ts';
import { buildReport } from '../../engine/reports/report.ts';
import { liveCountedRecords } from '../../engine/reports/rebuild.ts';
import { REACH_SHARDS, membersReached } from '../../engine/reports/send-records.ts';
import type { Store } from '../../engine/store/index.ts';

let store: Store;
beforeAll(async () => { store = await openTestStore('reports_counters'); });
afterAll(async () => { await store?.close(); });
beforeEach(async () => { await store.models.Rollup.deleteMany({}); await store.db.collection(REACH_SHARDS).deleteMany({}); });

const monday = new Date('2026-03-02T10:00:00Z');
const tuesday = new Date('2026-03-03T08:00:00Z');
const ctx = (step: string, program: string, at: Date, memberId?: string) => ({ campaign: 'renewal', step, program, at, memberId });

class Captured {
  lines: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  error(obj: Record<string, unknown>, msg: string) { this.lines.push({ obj, msg }); }
  warn(obj: Record<string, unknown>, msg: string) { this.lines.push({ obj, msg }); }
}

describe('counters kept at event time', () => {
  it('count per UTC day, step and program, summed over two processes', async () => {
    const a = new CounterBuffer(store, { writer: 'worker-a' });
    const b = new CounterBuffer(store, { writer: 'worker-b' });
    a.count(ctx('r-30', 'education', monday, 'm1'), 'sent');
    a.count(ctx('r-30', 'education', monday, 'm2'), 'sent');
    b.count(ctx('r-30', 'education', monday, 'm3'), 'sent');
    b.count(ctx('r-30', 'startups', tuesday, 'm4'), 'sent');
    a.countEvent(ctx('r-30', 'education', tuesday), 'open', { machine: true });
    a.countEvent(ctx('r-30', 'education', tuesday), 'open', {});
    b.countEvent(ctx('r-30', 'education', tuesday), 'csat', { score: 4 });
    b.countEvent(ctx('r-30', 'education', tuesday), 'csat', { score: 5 });
    await a.flush();
    await b.flush();
    const rows = await readRollups(store);
    expect(rows.map((r) => [r.day, r.step, r.program, r.totals.sent, r.totals.humanOpens, r.totals.machineOpens, r.totals.csatCount, r.totals.csatSum])).toEqual([
      ['2026-03-02', 'r-30', 'education', 3, 0, 0, 0, 0],
      ['2026-03-03', 'r-30', 'education', 0, 1, 1, 2, 9],
      ['2026-03-03', 'r-30', 'startups', 1, 0, 0, 0, 0],
    ]);
    expect(await readRollups(store, { from: '2026-03-03', to: '2026-03-03', program: 'education' })).toHaveLength(1);
    const report = await buildReport(store, { from: '2026-03-01', to: '2026-03-31', now: tuesday, calendar: { zone: 'UTC' }, campaigns: [{ name: 'renewal', kind: 'renewal' }] });
    expect(report.engagement.byCampaign).toEqual([expect.objectContaining({ campaign: 'renewal', kind: 'renewal', sent: 4, opens: 2, csatAverage: 4.5 })]);
    expect(report.engagement.byProgram).toEqual([expect.objectContaining({ program: 'education', sent: 3 }), expect.objectContaining({ program: 'startups', sent: 1 })]);
    expect((await liveCountedRecords(store)).reach.map((r) => r._id)).toEqual(['education|2026-03|m1', 'education|2026-03|m2', 'education|2026-03|m3', 'startups|2026-03|m4']);
  });

  it('members reached go into shard documents of bounded size: a flush late in a long send rewrites only the newest, and every member counts once', async () => {
    const a = new CounterBuffer(store, { writer: 'worker-a', recordsPerShard: 10 });
    const reach = store.db.collection<{ _id: string; members: string }>(REACH_SHARDS);
    for (let i = 0; i < 25; i++) a.count(ctx('r-30', 'education', monday, `m${i}`), 'sent');
    // sent again (a retry, another step): already recorded, in a full shard or the open one
    a.count(ctx('r-30', 'education', monday, 'm3'), 'sent');
    a.count(ctx('r-30', 'education', monday, 'm24'), 'sent');
    await a.flush();
    const first = await reach.find({}).sort({ _id: 1 }).toArray();
    expect(first.map((d) => d.members.split(' ').length)).toEqual([10, 10, 5]);
    const full = first.slice(0, 2).map((d) => d._id);
    // rewrite the full shards behind the buffer's back: a later flush must leave them alone
    await reach.updateMany({ _id: { $in: full } }, { $set: { probe: true } });
    a.count(ctx('r-30', 'education', monday, 'm25'), 'sent');
    await a.flush();
    const untouched = await reach.countDocuments({ _id: { $in: full }, probe: true });
    expect(untouched).toBe(2);
    const reached = await membersReached(store, { months: ['2026-03'] });
    expect(reached.get('education')?.size).toBe(26);
    expect(a.unflushed).toBe(0);
  });

  it('flushing again after nothing new writes the same numbers (no double count)', async () => {
    const a = new CounterBuffer(store, { writer: 'worker-a' });
    a.count(ctx('r-7', 'education', monday), 'sent', 5);
    await a.flush();
    await a.flush();
    a.count(ctx('r-7', 'education', monday), 'sent', 2);
    await a.flush();
    await a.flush();
    const [row] = await readRollups(store);
    expect(row!.totals.sent).toBe(7);
  });

  it('a flush that fails half-way is logged, keeps its numbers, and the next flush does not double count the half that was written', async () => {
    const log = new Captured();
    const a = new CounterBuffer(store, { writer: 'worker-a', log });
    a.count(ctx('r-30', 'education', monday), 'sent', 10);
    a.count(ctx('r-7', 'education', monday), 'sent', 20);
    await a.flush();
    a.count(ctx('r-30', 'education', monday), 'sent', 1);
    a.count(ctx('r-7', 'education', monday), 'sent', 2);
    const failing = store.db.collection('rollups');
    // A real failure of one of the two writes: a unique index on `sent` that r-7's new total (22) collides with.
    await failing.insertOne({ _id: 'holds-22' as never, sent: 22 });
    await failing.createIndex({ sent: 1 }, { unique: true, name: 'sent_unique' });
    await expect(a.flush()).rejects.toThrow();
    expect(a.failedFlushes).toBe(1);
    expect(log.lines.map((l) => l.msg)).toEqual(['counter flush failed; the numbers stay buffered and are written again on the next flush']);
    expect(log.lines[0]!.obj).toMatchObject({ writer: 'worker-a', shards: 2 });
    // Half applied: the r-30 shard has its new total, the r-7 one still the old.
    const byStep = async () => Object.fromEntries((await failing.find({ campaign: 'renewal' }).toArray()).map((d) => [d.step, d.sent]));
    expect(await byStep()).toEqual({ 'r-30': 11, 'r-7': 20 });

    await failing.dropIndex('sent_unique');
    await failing.deleteOne({ _id: 'holds-22' as never });
    await a.flush();
    expect(await byStep()).toEqual({ 'r-30': 11, 'r-7': 22 });
    expect(a.unflushed).toBe(0);
  });

  it('a timer flush that fails is logged, and the numbers arrive with the next one', async () => {
    const log = new Captured();
    const failing = store.db.collection('rollups');
    await failing.insertOne({ _id: 'holds-3' as never, sent: 3 });
    await failing.createIndex({ sent: 1 }, { unique: true, name: 'sent_unique_timer' });
    const a = new CounterBuffer(store, { writer: 'worker-t', log, flushEveryMs: 50 });
    a.count(ctx('r-1', 'startups', monday), 'sent', 3);
    await expect.poll(() => log.lines.length, { timeout: 5000 }).toBeGreaterThan(0);
    await failing.dropIndex('sent_unique_timer');
    await failing.deleteOne({ _id: 'holds-3' as never });
    await expect.poll(async () => (await readRollups(store))[0]?.totals.sent, { timeout: 5000 }).toBe(3);
    await a.close();
  });
});
