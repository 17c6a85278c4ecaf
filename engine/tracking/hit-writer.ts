// The single writer behind the tracking routes. Handlers only `add` a hit (no I/O); this
// class flushes them in bulk on an interval, when a batch is full, and at shutdown, each flush
// as one keyed page (hit-pages.ts). A page keeps its key until it is written, so a failed
// write is retried as the same page and never counts twice. Memory is bounded: past
// `maxBuffered` hits (a slow or unreachable database) new hits go to a spool file in the data
// directory and are written from there later, so nothing is dropped and /healthz says so.
// Clicks and survey answers wait one burst window before they are written, so a scanner
// following every link of a message within a second is caught.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/index.ts';
import type { CounterBuffer } from '../reports/counters.ts';
import { basename } from 'node:path';
import type { Hit } from './hits.ts';
import type { HitPage } from './hit-pages.ts';
import { SCANNER_BURST_MS, scannerBursts, type ClickFacts } from './machine-rules.ts';
import { persistHits } from './persist-hits.ts';
import { FirstEngagements, KnownMarkers, type FirstEngagement } from './first-engagements.ts';
import { Spool } from './spool.ts';

/** Loose hits of a spool file are written in pages of this many, so a replay of the same file makes the same pages. */
export const SPOOL_PAGE_HITS = 2_000;

export interface HitWriterOptions {
  spoolDir: string;
  /** hits held in memory before they spill to the spool file */
  maxBuffered?: number;
  /** hits per database round trip */
  batchSize?: number;
  flushEveryMs?: number;
}

export interface HitWriterStats {
  received: number;
  persisted: number;
  duplicates: number;
  buffered: number;
  spilled: number;
  /** true while new hits go to the spool file instead of memory */
  overflowing: boolean;
  /** first opens/clicks of sends still to be written (markers, unique counts, send and member fields: first-engagements.ts) */
  pendingEngagements: number;
  lastFlushError?: string;
}

type StoredHit = Omit<Hit, 'at' | 'ref'> & { at: string; ref: Omit<Hit['ref'], 'sentAt'> & { sentAt: string } };
/** A spool line: one hit that did not fit in memory, a whole page not written at shutdown (kept with its key), or first engagements not written at shutdown. */
type SpoolLine = StoredHit | { page: string; hits: StoredHit[] } | { engaged: Array<Omit<FirstEngagement, 'at'> & { at: string }> };

export class HitWriter {
  /** this writer's pages are `<writer>.<seq>` */
  readonly writer = randomBytes(6).toString('base64url');
  private seq = 0;
  private buffer: Hit[] = [];
  /** the page being written: retried as it is (same key, same hits) until written */
  private pending?: HitPage;
  /** clicks written in the last burst window, to judge the next ones against */
  private recentClicks: ClickFacts[] = [];
  private readonly spool: Spool<SpoolLine>;
  private readonly knownMarkers = new KnownMarkers();
  private readonly maxBuffered: number;
  private readonly batchSize: number;
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private failures = 0;
  private closed = false;
  private readonly firsts: FirstEngagements;
  /** hits kept coming since the last flush pass: first engagements then take a bounded share of the time */
  private busy = false;
  private receivedBefore = 0;
  readonly stats: HitWriterStats = { received: 0, persisted: 0, duplicates: 0, buffered: 0, spilled: 0, overflowing: false, pendingEngagements: 0 };

  constructor(private readonly deps: { store: Store; counters: CounterBuffer; clock: Clock; log: Logger }, options: HitWriterOptions) {
    this.spool = new Spool<SpoolLine>(options.spoolDir, 'hits');
    this.maxBuffered = options.maxBuffered ?? 200_000;
    this.batchSize = options.batchSize ?? 2_000;
    this.firsts = new FirstEngagements(deps.store, deps.counters, {
      busy: () => this.busy,
      known: this.knownMarkers,
      onError: (err, pending) => deps.log.error({ err, pending }, 'first opens and clicks not written yet (unique counts, send and member fields); will retry'),
    });
    const every = options.flushEveryMs ?? 250;
    this.timer = setInterval(() => { void this.flush(); }, every);
    this.timer.unref();
  }

  /** Take a hit; never blocks and never touches the database. */
  add(hit: Hit): void {
    this.stats.received++;
    if (this.buffer.length >= this.maxBuffered) {
      if (!this.stats.overflowing) this.deps.log.warn({ buffered: this.buffer.length }, 'tracking buffer full: new hits go to the spool file until the database catches up');
      this.stats.overflowing = true;
      this.stats.spilled++;
      this.spool.write(toStored(hit));
      return;
    }
    this.buffer.push(hit);
    this.stats.buffered = this.buffer.length + (this.pending?.hits.length ?? 0);
  }

  /** One flush pass at a time; resolves when this pass is done (errors are kept in stats and logged). */
  flush(final = false): Promise<void> {
    this.running = this.running.then(() => this.flushPass(final));
    return this.running;
  }

  /** Stop the timer and write everything; what the database cannot take stays in the spool file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.flush(true);
    const engaged = await this.firsts.close();
    this.stats.pendingEngagements = 0;
    if (engaged.length) {
      this.spool.write({ engaged: engaged.map((f) => ({ ...f, at: f.at.toISOString() })) });
      this.deps.log.warn({ sends: engaged.length, dir: this.spool.dir }, 'database unavailable at shutdown: first opens and clicks kept in the spool file for the next start');
    }
    const left = this.buffer.length + (this.pending?.hits.length ?? 0);
    if (left > 0) {
      if (this.pending) this.spool.write({ page: this.pending.id, hits: this.pending.hits.map(toStored) });
      for (const h of this.buffer) this.spool.write(toStored(h));
      this.deps.log.warn({ hits: left, dir: this.spool.dir }, 'database unavailable at shutdown: hits kept in the spool file for the next start');
      this.pending = undefined;
      this.buffer = [];
    }
    await this.spool.close();
  }

  private async flushPass(final: boolean): Promise<void> {
    this.busy = this.stats.received !== this.receivedBefore;
    this.receivedBefore = this.stats.received;
    try {
      // While memory is full the spool grows; once there is room again, close it and replay it.
      if (this.stats.overflowing && (this.buffer.length < this.maxBuffered / 2 || final)) {
        this.stats.overflowing = false;
        await this.spool.seal();
      }
      for (let partial = false; ;) {
        // bounded memory: while too many first engagements wait, hits wait (and spill) instead
        if (!final && this.firsts.backlog >= this.firsts.maxPending) break;
        if (!this.pending) {
          // one partial page per pass: hits that came in while a page was written wait for the
          // next pass (or fill a whole page), instead of a stream of small pages under load
          if (partial && !final && this.buffer.length < this.batchSize) break;
          const batch = this.takeReady(final);
          if (batch.length === 0) break;
          partial = batch.length < this.batchSize;
          this.pending = { id: `${this.writer}.${++this.seq}`, hits: batch };
        }
        await this.write(this.pending);
        this.pending = undefined;
      }
      if (!this.stats.overflowing) await this.replaySpool();
      // a final flush (shutdown, tests settling) leaves nothing waiting
      if (final) await this.firsts.drain();
      if (this.failures > 0) this.deps.log.info({ afterFailures: this.failures }, 'tracking writer caught up with the database');
      this.failures = 0;
      this.stats.lastFlushError = undefined;
    } catch (err) {
      this.failures++;
      this.stats.lastFlushError = (err as Error).message;
      // Log the first failure and then every 20th: an outage must show, but not flood the log.
      if (this.failures === 1 || this.failures % 20 === 0) this.deps.log.error({ err, failures: this.failures, buffered: this.buffer.length }, 'tracking hits not written yet; will retry');
      if (this.failures > 1) await new Promise((r) => setTimeout(r, Math.min(5000, 100 * this.failures)));
    } finally {
      this.stats.buffered = this.buffer.length + (this.pending?.hits.length ?? 0);
      this.stats.pendingEngagements = this.firsts.backlog;
    }
  }

  /** Up to one batch of hits that may be written now (clicks only after their burst window). */
  private takeReady(final: boolean): Hit[] {
    const cutoff = this.deps.clock.now().getTime() - SCANNER_BURST_MS;
    const ready: Hit[] = [];
    const keep: Hit[] = [];
    for (const h of this.buffer) {
      if (ready.length < this.batchSize && (final || h.kind === 'open' || h.at.getTime() <= cutoff)) ready.push(h);
      else keep.push(h);
    }
    if (ready.length === 0) return ready;
    this.buffer = keep;
    this.markScannerBursts(ready, keep);
    return ready;
  }

  private markScannerBursts(ready: Hit[], waiting: Hit[]): void {
    const clicks = ready.filter((h) => h.kind !== 'open');
    if (clicks.length === 0) return;
    const facts = (h: Hit): ClickFacts => ({ sendLogId: h.ref.sendLogId, link: h.kind === 'csat' ? `score:${h.score}` : h.target ?? '', at: h.at });
    const context = [...this.recentClicks, ...waiting.filter((h) => h.kind !== 'open').map(facts)];
    const burst = scannerBursts([...clicks.map(facts), ...context]);
    clicks.forEach((h, i) => { if (burst.has(i) && !h.rule) h.rule = 'scanner-burst'; });
    const horizon = this.deps.clock.now().getTime() - 2 * SCANNER_BURST_MS;
    this.recentClicks = [...this.recentClicks.filter((c) => c.at.getTime() > horizon), ...clicks.map(facts)].slice(-10_000);
  }

  private async write(page: HitPage): Promise<void> {
    const outcome = await persistHits(this.deps.store, this.deps.counters, [page], { known: this.knownMarkers, firsts: this.firsts });
    this.stats.persisted += outcome.written;
    this.stats.duplicates += outcome.duplicates;
  }

  /** A spool file's pages, always the same for the same file: its kept pages, then its loose hits in SPOOL_PAGE_HITS. */
  private async replaySpool(): Promise<void> {
    for (const path of this.spool.pending()) {
      const pages: HitPage[] = [];
      const loose: Hit[] = [];
      for (const line of this.spool.read(path)) {
        if ('engaged' in line) this.firsts.add(line.engaged.map((f) => ({ ...f, at: new Date(f.at) })));
        else if ('page' in line) pages.push({ id: line.page, hits: line.hits.map(fromStored) });
        else loose.push(fromStored(line));
      }
      for (let i = 0; i < loose.length; i += SPOOL_PAGE_HITS) pages.push({ id: `${basename(path)}#${i / SPOOL_PAGE_HITS}`, hits: loose.slice(i, i + SPOOL_PAGE_HITS) });
      let hits = 0;
      for (const page of pages) {
        await this.write(page);
        hits += page.hits.length;
      }
      this.spool.remove(path);
      if (hits) this.deps.log.info({ hits, path }, 'tracking hits written from the spool file');
    }
  }
}

function toStored(h: Hit): StoredHit {
  return { ...h, at: h.at.toISOString(), ref: { ...h.ref, sentAt: h.ref.sentAt.toISOString() } };
}

function fromStored(s: StoredHit & { id?: string }): Hit {
  const { id: _earlierKey, ...hit } = s; // spool files of earlier versions carry a per-hit key; pages key hits now
  return { ...hit, at: new Date(s.at), ref: { ...s.ref, sentAt: new Date(s.ref.sentAt) } };
}
