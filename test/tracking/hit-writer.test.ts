// The single writer behind the pixel: bounded memory (overflow goes to a spool file and is
// still written), and a batch written twice (a retried flush) counts once.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import pino from 'pino';
import { openTestStore } from '../support/db.ts';
import { systemClock } from '../../engine/clock.ts';
import { CounterBuffer } from '../../engine/reports/counters.ts';
import { readRollups, sumBy } from '../../engine/reports/rollups.ts';
import { HitWriter } from '../../engine/tracking/hit-writer.ts';
import { persistHits } from '../../engine/tracking/persist-hits.ts';
import type { Hit } from '../../engine/tracking/hits.ts';
import type { Store } from '../../engine/store/index.ts';

let store: Store;
const log = pino({ level: 'silent' });
beforeAll(async () => { store = await openTestStore('tracking_hit_writer'); });
afterAll(async () => { await store?.close(); });

function hits(n: number, campaign: string, writer: HitWriter | { nextId(): string }): Hit[] {
  return Array.from({ length: n }, (_, i) => ({
    id: writer.nextId(), kind: 'open' as const, at: new Date(), userAgent: 'Mozilla/5.0 Chrome/120 Safari/537.36',
    ref: { sendLogId: new Types.ObjectId().toHexString(), memberId: new Types.ObjectId().toHexString(), campaign, step: `s${i % 2}`, sentAt: new Date(Date.now() - 3600_000) },
  }));
}
const totals = async (campaign: string) => sumBy(await readRollups(store, { campaign }), (r) => r.campaign).get(campaign)!;

describe('the tracking hit writer', () => {
  it('past its memory bound it spills to the spool file, says so, and still writes every hit', async () => {
    const counters = new CounterBuffer(store);
    const spoolDir = mkdtempSync(join(tmpdir(), 'flywheel-spool-'));
    const writer = new HitWriter({ store, counters, clock: systemClock, log }, { spoolDir, maxBuffered: 10, flushEveryMs: 60_000 });
    for (const h of hits(50, 'spill-test', writer)) writer.add(h);
    expect(writer.stats).toMatchObject({ received: 50, buffered: 10, spilled: 40, overflowing: true });
    await writer.flush();
    await writer.close();
    await counters.flush();
    expect(await store.models.Event.collection.countDocuments({ campaign: 'spill-test', type: 'open' } as never)).toBe(50);
    expect(await totals('spill-test')).toMatchObject({ humanOpens: 50, uniqueOpens: 50 });
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('a batch written again (a retried flush) is not counted twice', async () => {
    const counters = new CounterBuffer(store);
    let n = 0;
    const batch = hits(20, 'retry-test', { nextId: () => `retry-${++n}` });
    await persistHits(store, counters, batch);
    await persistHits(store, counters, batch);
    await counters.flush();
    expect(await totals('retry-test')).toMatchObject({ humanOpens: 20, uniqueOpens: 20 });
  });
});
