// The single writer behind the pixel: bounded memory (overflow goes to a spool file and is
// still written), every flush one keyed page of hits, and a page written twice (a retried flush,
// a spool file replayed again after a crash, across restarts) counts once.
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import pino from 'pino';
import { openTestStore } from '../support/db.ts';
import { countStoredHits } from '../support/stored-hits.ts';
import { systemClock } from '../../engine/clock.ts';
import { CounterBuffer } from '../../engine/reports/counters.ts';
import { readRollups, sumBy } from '../../engine/reports/rollups.ts';
import { HitWriter } from '../../engine/tracking/hit-writer.ts';
import { HIT_PAGES_COLLECTION } from '../../engine/tracking/hit-pages.ts';
import { persistHits } from '../../engine/tracking/persist-hits.ts';
import type { Hit } from '../../engine/tracking/hits.ts';
import type { Store } from '../../engine/store/index.ts';

let store: Store;
const log = pino({ level: 'silent' });
beforeAll(async () => { store = await openTestStore('tracking_hit_writer'); });
afterAll(async () => { await store?.close(); });

function hits(n: number, campaign: string): Hit[] {
  return Array.from({ length: n }, (_, i) => ({
    kind: 'open' as const, at: new Date(), userAgent: 'Mozilla/5.0 Chrome/120 Safari/537.36',
    ref: { sendLogId: new Types.ObjectId().toHexString(), memberId: new Types.ObjectId().toHexString(), campaign, step: `s${i % 2}`, sentAt: new Date(Date.now() - 3600_000) },
  }));
}
const totals = async (campaign: string) => sumBy(await readRollups(store, { campaign }), (r) => r.campaign).get(campaign)!;
const pagesOf = async (campaign: string) => store.db.collection(HIT_PAGES_COLLECTION).countDocuments({ 'ctx.campaign': campaign });

describe('the tracking hit writer', () => {
  it('past its memory bound it spills to the spool file, says so, and still writes every hit', async () => {
    const counters = new CounterBuffer(store);
    const spoolDir = mkdtempSync(join(tmpdir(), 'flywheel-spool-'));
    const writer = new HitWriter({ store, counters, clock: systemClock, log }, { spoolDir, maxBuffered: 10, flushEveryMs: 60_000 });
    for (const h of hits(50, 'spill-test')) writer.add(h);
    expect(writer.stats).toMatchObject({ received: 50, buffered: 10, spilled: 40, overflowing: true });
    await writer.flush();
    await writer.close();
    await counters.flush();
    expect(await countStoredHits(store, { kind: 'open', campaign: 'spill-test' })).toBe(50);
    expect(await totals('spill-test')).toMatchObject({ humanOpens: 50, uniqueOpens: 50 });
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('a flush is one page, however many hits it holds', async () => {
    const counters = new CounterBuffer(store);
    const writer = new HitWriter({ store, counters, clock: systemClock, log }, { spoolDir: mkdtempSync(join(tmpdir(), 'flywheel-spool-')), flushEveryMs: 60_000 });
    for (const h of hits(1500, 'one-page-test')) writer.add(h);
    await writer.close();
    expect(await pagesOf('one-page-test')).toBe(1);
    expect(await countStoredHits(store, { campaign: 'one-page-test' })).toBe(1500);
  });

  it('under steady load a flush writes what it found in full pages, and hits arriving meanwhile wait for the next flush instead of following as small pages', async () => {
    const counters = new CounterBuffer(store);
    const writer = new HitWriter({ store, counters, clock: systemClock, log }, { spoolDir: mkdtempSync(join(tmpdir(), 'flywheel-spool-')), batchSize: 100, flushEveryMs: 60_000 });
    for (const h of hits(250, 'steady-test')) writer.add(h);
    const pass = writer.flush();
    await new Promise((r) => setImmediate(r)); // the pass has taken its first page and is writing it
    for (const h of hits(5, 'steady-test')) writer.add(h);
    await pass;
    expect(await pagesOf('steady-test')).toBe(3); // 100 + 100 + 55: a backlog goes out in full pages
    for (const h of hits(5, 'steady-test')) writer.add(h);
    const second = writer.flush();
    await new Promise((r) => setImmediate(r));
    for (const h of hits(7, 'steady-test')) writer.add(h);
    await second;
    expect(await pagesOf('steady-test')).toBe(4); // one partial page per flush
    expect(writer.stats.buffered).toBe(7);
    await writer.close();
    expect(await pagesOf('steady-test')).toBe(5);
    expect(await countStoredHits(store, { campaign: 'steady-test' })).toBe(267);
  });

  it('a page written again (a retried flush) is not counted twice', async () => {
    const counters = new CounterBuffer(store);
    const page = { id: 'retry-test.1', hits: hits(20, 'retry-test') };
    expect(await persistHits(store, counters, [page])).toEqual({ written: 20, duplicates: 0 });
    expect(await persistHits(store, counters, [page])).toEqual({ written: 0, duplicates: 20 });
    await counters.flush();
    expect(await totals('retry-test')).toMatchObject({ humanOpens: 20, uniqueOpens: 20 });
  });

  it('hits kept in the spool file while the database was down are written once after a restart, even when the file is replayed again after a crash', async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), 'flywheel-spool-'));
    // the first run: the database is gone (its connection closed); some hits overflow memory, the rest are left at shutdown
    const gone = await openTestStore('tracking_hit_writer_gone');
    await gone.close();
    const first = new HitWriter({ store: gone, counters: new CounterBuffer(gone), clock: systemClock, log }, { spoolDir, maxBuffered: 30, flushEveryMs: 60_000 });
    for (const h of hits(100, 'restart-test')) first.add(h);
    await first.flush(); // fails: the first page stays formed, with its key
    await first.close();
    const files = readdirSync(spoolDir);
    const spooled = files.map((f) => readFileSync(join(spoolDir, f), 'utf8')).join('');
    expect(spooled).toMatch(/"page":"[^"]+\.1"/); // the page formed before the failure is kept whole, under its key
    expect(spooled.split('\n').filter(Boolean).length).toBe(1 + 70); // and the 70 hits that overflowed memory, one a line
    const kept = mkdtempSync(join(tmpdir(), 'flywheel-spool-copy-'));
    for (const f of files) cpSync(join(spoolDir, f), join(kept, f));

    // the next run writes them
    const counters = new CounterBuffer(store);
    const second = new HitWriter({ store, counters, clock: systemClock, log }, { spoolDir, flushEveryMs: 60_000 });
    await second.close();
    await counters.flush();
    expect(readdirSync(spoolDir)).toEqual([]);
    expect(second.stats).toMatchObject({ persisted: 100, duplicates: 0 });
    expect(await countStoredHits(store, { campaign: 'restart-test' })).toBe(100);

    // a run that crashed after writing but before removing the files leaves them behind: the next one writes nothing twice
    for (const f of files) cpSync(join(kept, f), join(spoolDir, f));
    const third = new HitWriter({ store, counters, clock: systemClock, log }, { spoolDir, flushEveryMs: 60_000 });
    await third.close();
    await counters.flush();
    expect(third.stats).toMatchObject({ persisted: 0, duplicates: 100 });
    expect(readdirSync(spoolDir)).toEqual([]);
    expect(await countStoredHits(store, { campaign: 'restart-test' })).toBe(100);
    expect(await totals('restart-test')).toMatchObject({ humanOpens: 100, uniqueOpens: 100 });
  });
});
