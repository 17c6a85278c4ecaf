// A page of hits keeps every hit exactly (it is the raw record reports are rebuilt from), and
// `kpis rebuild` over stored pages agrees with the rollups the writer counted live.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import pino from 'pino';
import { openTestStore } from '../support/db.ts';
import { systemClock } from '../../engine/clock.ts';
import { CounterBuffer } from '../../engine/reports/counters.ts';
import { readRollups } from '../../engine/reports/rollups.ts';
import { compareRollups, recomputeRollups } from '../../engine/reports/rebuild.ts';
import { HitWriter } from '../../engine/tracking/hit-writer.ts';
import { decodeHitPage, encodeHitPage } from '../../engine/tracking/hit-pages.ts';
import type { Hit } from '../../engine/tracking/hits.ts';
import type { Store } from '../../engine/store/index.ts';

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const ref = (campaign: string, step: string, program?: string) => ({
  sendLogId: new Types.ObjectId().toHexString(), memberId: new Types.ObjectId().toHexString(), campaign, step, ...(program ? { program } : {}), sentAt: new Date(Date.UTC(2026, 10, 30, 8, 0, 0, 123)),
});

describe('hit pages', () => {
  it('a page gives back every hit as it was: kind, send, member, step, program, times, rule, agent, link and score', () => {
    const at = Date.UTC(2026, 10, 30, 9, 0, 0, 5);
    const hits: Hit[] = [
      { kind: 'open', ref: ref('news', 'issue-1', 'education'), at: new Date(at + 2), userAgent: BROWSER },
      { kind: 'open', ref: ref('news', 'issue-1', 'education'), at: new Date(at), userAgent: 'Mozilla/5.0 AppleWebKit/605.1.15 (KHTML, like Gecko)', rule: 'apple-mpp' },
      { kind: 'click', ref: ref('news', 'issue 2', undefined), at: new Date(at + 1000), userAgent: BROWSER, target: 'https://flywheel.example/a b?x=1&y=%20' },
      { kind: 'csat', ref: { ...ref('onboarding', 'day-7', 'startups'), sendLogId: 'send with spaces %and% percent', memberId: 'mémbre' }, at: new Date(at + 7), userAgent: '', score: 4 },
    ];
    const doc = encodeHitPage({ id: 'w.1', hits });
    expect(doc).toMatchObject({ _id: 'w.1', n: 4, opens: 2, clicks: 1, answers: 1 });
    expect(doc.agents.length).toBe(3); // the browser's agent is stored once
    const back = JSON.parse(JSON.stringify(doc), (k, v) => (k === 'at' ? new Date(v) : v));
    expect(decodeHitPage(back)).toEqual(hits);
    // pages stored before the lines were joined into one string hold an array of lines: they read the same
    const earlier = { ...back, hits: (back.hits as string).split('\n') };
    expect(decodeHitPage(earlier)).toEqual(hits);
  });
});

describe('kpis rebuild with hits stored in pages', () => {
  let store: Store;
  beforeAll(async () => { store = await openTestStore('tracking_hit_pages'); });
  afterAll(async () => { await store?.close(); });

  it('recomputes exactly the rollups the writer counted: human and machine opens, clicks, unique opens and clicks, survey answers', async () => {
    const counters = new CounterBuffer(store);
    const writer = new HitWriter({ store, counters, clock: systemClock, log: pino({ level: 'silent' }) }, { spoolDir: mkdtempSync(join(tmpdir(), 'flywheel-spool-')), flushEveryMs: 60_000 });
    const now = Date.now();
    const sends = Array.from({ length: 6 }, (_, i) => ref('pages-rebuild', `step-${i % 3}`, i % 2 ? 'education' : undefined));
    for (const [i, r] of sends.entries()) {
      writer.add({ kind: 'open', ref: r, at: new Date(now - 60_000 + i), userAgent: BROWSER });
      writer.add({ kind: 'open', ref: r, at: new Date(now - 59_000 + i), userAgent: BROWSER });
      writer.add({ kind: 'open', ref: r, at: new Date(now - 58_000 + i), userAgent: 'Barracuda Sentinel', rule: 'scanner-agent' });
      if (i % 2) writer.add({ kind: 'click', ref: r, at: new Date(now - 50_000 + i * 3000), userAgent: BROWSER, target: 'https://flywheel.example/x' });
      if (i < 3) writer.add({ kind: 'csat', ref: r, at: new Date(now - 40_000 + i * 3000), userAgent: BROWSER, score: i + 3 });
    }
    await writer.flush();
    await writer.close(); // clicks and answers wait one burst window; closing writes them too
    await counters.flush();
    const live = await readRollups(store);
    const raw = await recomputeRollups(store);
    expect(compareRollups(live, raw)).toEqual([]);
    const sum = (m: 'humanOpens' | 'machineOpens' | 'uniqueOpens' | 'clicks' | 'uniqueClicks' | 'csatCount' | 'csatSum') => raw.reduce((n, r) => n + r.totals[m], 0);
    expect([sum('humanOpens'), sum('machineOpens'), sum('uniqueOpens'), sum('clicks'), sum('uniqueClicks'), sum('csatCount'), sum('csatSum')]).toEqual([12, 6, 6, 3, 3, 3, 12]);
  });
});
