// Composition root: reads config, builds every stage and wires them. Nothing else does wiring:
// CLI commands, the demo and tests take the piece they need from here. Three sizes:
//   openStoreOnly     the database only (members, segments, plan, reports, campaign states);
//   createRendering   renderer, link signer and tracking URLs; no database (validate, preview);
//   createEngine      everything: store, campaigns, rendering, transport, counters, scheduler, HTTP.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseWebhookPublicKey, PROJECT_ROOT, type Config } from './config.ts';
import { InvalidInputError } from './errors.ts';
import { systemClock, type Clock } from './clock.ts';
import { createLogger, type Logger } from './log.ts';
import { openDatabase, redact, withDatabase, type Database, type Store } from './store/index.ts';
import { withDeadline } from './store/health.ts';
import { loadCampaigns, registerCampaigns, type LoadedCampaign } from './campaigns/index.ts';
import { createRenderer, type Renderer } from './render/index.ts';
import { TokenSigner, TrackingUrls } from './tracking/tokens.ts';
import { parseBounceAddress, verpAddress, type BounceAddress } from './tracking/verp.ts';
import type { BounceIntakeDeps } from './tracking/bounce-intake.ts';
import { createTransport, defaultRetryPolicy, type Address, type Transport } from './delivery/index.ts';
import { MongoDailyCapStore } from './delivery/daily-cap-store.ts';
import { SEVEN_DAYS_MS } from './planner/send-timing.ts';
import { CounterBuffer } from './reports/counters.ts';
import { calendarFromConfig } from './calendar/config.ts';
import { Scheduler } from './scheduler/index.ts';
import { loadApplicationSpecs, REVIEW_DIGEST_JOB, sendReviewDigests, type ResolvedApplicationSpec } from './applications/index.ts';
import { HitWriter } from './tracking/hit-writer.ts';
import { UnsubscribeJournal } from './tracking/unsubscribe-journal.ts';
import { DatabaseHealth } from './store/health.ts';
import { ContentPoller, HttpFeedFetcher, loadFeeds, type FeedDefinition, type FeedFetcher } from './content/index.ts';
import { boundHeapGrowth } from './memory.ts';

/** The database named by config (or the embedded one), for commands that need nothing else. */
export function openStoreOnly(config: Config, options: { onProgress?: (line: string) => void } = {}): Promise<Database> {
  return openDatabase(config, options.onProgress);
}

/** Open the database, run `use`, and close it (and any embedded server) whatever happens. */
export function withStoreOnly<T>(config: Config, use: (store: Store) => Promise<T>, options: { onProgress?: (line: string) => void } = {}): Promise<T> {
  return withDatabase(config, use, options.onProgress);
}

/** The campaign files under FLYWHEEL_CAMPAIGNS_DIR, loaded and validated. */
export function loadProjectCampaigns(config: Config): Promise<LoadedCampaign[]> {
  return loadCampaigns(config.FLYWHEEL_CAMPAIGNS_DIR);
}

export interface Rendering {
  renderer: Renderer;
  signer: TokenSigner;
  urls: TrackingUrls;
  /** FLYWHEEL_FROM, parsed */
  from: Address;
}

/** Everything that turns a template into a message with signed links; needs no database. */
export function createRendering(config: Config): Rendering {
  const signer = new TokenSigner(config.FLYWHEEL_SECRET);
  const urls = new TrackingUrls(config.FLYWHEEL_PUBLIC_URL, signer);
  const from = parseAddress(config.FLYWHEEL_FROM);
  const renderer = createRenderer({
    templatesDir: config.FLYWHEEL_TEMPLATES_DIR,
    urls,
    postalAddress: config.FLYWHEEL_POSTAL_ADDRESS,
    senderName: from.name ?? from.email,
  });
  return { renderer, signer, urls, from };
}

export interface EngineOptions {
  clock?: Clock;
  log?: Logger;
  /** use this store instead of resolving one from config (tests) */
  store?: Store;
  /** use this transport instead of the configured one (tests, benchmarks) */
  transport?: Transport;
  /** count into this buffer instead of one on the engine's store (tests of a failing flush) */
  counters?: CounterBuffer;
  /** load campaigns from files (default) or use these */
  campaigns?: LoadedCampaign[];
  /** use these feeds; by default campaigns/feeds.ts, or none when `campaigns` are given in code */
  feeds?: FeedDefinition[];
  /** use this feed fetcher instead of HTTP with the configured limits */
  feedFetcher?: FeedFetcher;
  /** progress lines for one-time work such as building the embedded database */
  onProgress?: (line: string) => void;
  /** job polling interval for this process */
  processEveryMs?: number;
  concurrency?: number;
  /** use these application specs instead of those in campaigns/programs.ts */
  applicationSpecs?: ReadonlyMap<string, ResolvedApplicationSpec>;
  /** called as each recipient is settled (progress bars) */
  onSendProgress?: (settled: number) => void;
  /**
   * The embedded database went away for good (its guard gave up restarting it): told after the
   * engine has logged it. The CLI exits non-zero here, so that a service manager restarts it.
   */
  onDatabaseLost?: (message: string) => void;
}

export type Engine = Awaited<ReturnType<typeof createEngine>>;

export async function createEngine(config: Config, options: EngineOptions = {}) {
  boundHeapGrowth(config.FLYWHEEL_HEAP_GROWTH_PERCENT);
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger(config.LOG_LEVEL);
  const database = options.store ? undefined : await openDatabase(config, options.onProgress);
  const store = options.store ?? database!.store;
  database?.resolved.onLost?.((why) => {
    const message = `The embedded database (${database.resolved.kind}, data in ${config.FLYWHEEL_DATA_DIR}) is gone and will not come back by itself: ${why}. ` +
      `Its log is in ${config.FLYWHEEL_DATA_DIR}/${database.resolved.kind}/server.log.`;
    log.fatal({ database: database.resolved.kind, dataDir: config.FLYWHEEL_DATA_DIR, why }, message);
    options.onDatabaseLost?.(message);
  });
  // aborted when the process is told to stop: batch runs start no more sends and hand the rest back
  const stopping = new AbortController();
  /** what `close` stops, in reverse order, each named for the log of a graceful stop */
  const closers: Array<[string, () => Promise<void>]> = [];
  try {
    const campaigns = options.campaigns ?? (await loadProjectCampaigns(config));
    await registerCampaigns(store, campaigns, clock.now());
    const applicationSpecs = options.applicationSpecs ?? (await loadApplicationSpecs(config.FLYWHEEL_CAMPAIGNS_DIR));
    const applications = { store, specs: applicationSpecs };
    const programs = campaigns.find((c) => c.programs)?.programs;
    const programNames = programs ? Object.keys(programs) : undefined;
    const feeds = options.feeds ?? (options.campaigns ? [] : await loadFeedsOrFail(config, programNames));
    const content = createContentPoller(config, { store, clock, log, feeds, programs: programNames, fetcher: options.feedFetcher });

    const { renderer, signer, urls, from } = createRendering(config);
    const transport = options.transport ?? createTransport(config, { clock, returnPath: returnPathFor(config, signer) });
    closers.push(['transport closed (pooled connections)', () => transport.close()]);
    const counters = options.counters ?? new CounterBuffer(store, { flushEveryMs: 1000, log });
    closers.push(['counters flushed', () => counters.close()]);
    const worker = `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;

    const scheduler = new Scheduler({
      store, clock, log,
      campaigns: () => campaigns,
      plan: {
        batchSize: config.FLYWHEEL_BATCH_SIZE,
        messageIdDomain: from.email.split('@')[1] ?? 'flywheel.local',
        frequencyCap: { max: config.FLYWHEEL_FREQUENCY_CAP, windowMs: SEVEN_DAYS_MS, exemptCategories: config.FLYWHEEL_CAP_EXEMPT.split(',').map((c) => c.trim()).filter(Boolean) },
      },
      sender: {
        store, transport, renderer, urls, counters, clock, log, from, worker,
        leaseMs: config.FLYWHEEL_LEASE_MS,
        concurrency: options.concurrency ?? Math.max(4, config.SMTP_POOL_SIZE * 4),
        retry: { ...defaultRetryPolicy, maxAttempts: config.FLYWHEEL_MAX_ATTEMPTS, baseDelayMs: config.FLYWHEEL_RETRY_BASE_MS },
        random: Math.random,
        dailyCap: { cap: config.FLYWHEEL_DAILY_CAP, store: new MongoDailyCapStore(store) },
        onProgress: options.onSendProgress,
        stopping: stopping.signal,
      },
      processEveryMs: options.processEveryMs ?? 2000,
      batchConcurrency: 2,
      recurringJobs: [
        { name: REVIEW_DIGEST_JOB, every: '1 hour', run: (now) => sendReviewDigests({ ...applications, transport, from, log }, now) },
        {
          name: CONTENT_POLL_JOB,
          every: '1 minute',
          // every feed is bounded by its timeout; a few run at once
          lockLifetimeMs: Math.max(60_000, config.FLYWHEEL_FEED_TIMEOUT_MS * (content.feeds.length + 2)),
          run: () => content.runDue(),
        },
      ],
    });
    closers.push(['scheduler stopped', () => scheduler.stop()]);

    const dashboard = config.FLYWHEEL_DASHBOARD_PASSWORD ? { agenda: scheduler.agenda, password: config.FLYWHEEL_DASHBOARD_PASSWORD } : undefined;
    const spoolDir = join(config.FLYWHEEL_DATA_DIR, 'spool');
    let tracking: { hits: HitWriter; journal: UnsubscribeJournal; health: DatabaseHealth } | undefined;
    /** The writer, journal and health check behind the HTTP server (created with the first server). */
    const trackingParts = () => {
      if (!tracking) {
        const health = new DatabaseHealth(store, log);
        health.start();
        tracking = {
          health,
          hits: new HitWriter({ store, counters, clock, log }, { spoolDir }),
          journal: new UnsubscribeJournal({ store, counters, clock, log }, spoolDir),
        };
        const parts = tracking;
        // closed before the counters (closers run in reverse): their last writes add to counters
        closers.push(['tracking hits and unsubscribe journal flushed', async () => { await parts.hits.close(); await parts.journal.close(); parts.health.stop(); }]);
      }
      return tracking;
    };
    const reports = config.FLYWHEEL_DASHBOARD_PASSWORD ? { password: config.FLYWHEEL_DASHBOARD_PASSWORD, campaigns, calendar: calendarFromConfig(config) } : undefined;
    // loaded when a command serves HTTP: a send worker never needs Fastify, the routes or the report charts
    const http = async () => (await import('./http/server.ts')).buildServer({
      store, counters, clock, signer, urls, log, dashboard, reports, ...trackingParts(),
      applications: { deps: applications, ratePerMinute: config.FLYWHEEL_APPLY_RATE_LIMIT, bodyLimit: config.FLYWHEEL_APPLY_BODY_LIMIT },
      publicOrigin: new URL(config.FLYWHEEL_PUBLIC_URL).origin,
      sendgridWebhook: {
        publicKey: config.SENDGRID_WEBHOOK_PUBLIC_KEY ? parseWebhookPublicKey(config.SENDGRID_WEBHOOK_PUBLIC_KEY) : undefined,
        maxAgeS: config.SENDGRID_WEBHOOK_MAX_AGE_S,
      },
    });

    let closed = false;
    return {
      config, clock, log, store, campaigns, applications, content, renderer, transport, counters, scheduler, signer, urls, http,
      /** tracking hits writer, unsubscribe journal and database health (created with the HTTP server) */
      get tracking() { return trackingParts(); },
      /** True once `beginStopping` was called. */
      get stopping() { return stopping.signal.aborted; },
      /** Stop taking work: no new jobs; running batch runs finish their sends in flight and hand back the rest. */
      async beginStopping(): Promise<void> {
        stopping.abort();
        await scheduler.stopTaking();
      },
      /** True once the HTTP parts (hit writer, journal) exist: they have buffers to flush on stop. */
      get hasTracking() { return tracking !== undefined; },
      /** What the engine's database is, in words an operator recognises (error messages). */
      databaseDescription: describeDatabase(config, database),
      /**
       * Stop everything this engine started, in reverse order; the embedded database last. With
       * `databaseDown`, each step gets a second: writes that cannot land are not waited out.
       */
      async close(options: { logPhases?: boolean; databaseDown?: boolean } = {}): Promise<void> {
        if (closed) return;
        closed = true;
        stopping.abort();
        const started = performance.now();
        const bounded = (p: Promise<void>) => (options.databaseDown ? withDeadline(p, 1000) : p);
        const phase = (msg: string) => { if (options.logPhases) log.info({ ms: Math.round(performance.now() - started) }, `stopping: ${msg}`); };
        for (const [what, close] of closers.reverse()) {
          await bounded(close()).then(() => phase(what), (err: unknown) => log.warn({ err }, `error while closing: ${what}`));
        }
        await bounded(database ? database.close() : Promise.resolve()).catch((err: unknown) => log.warn({ err }, 'error while closing the database'));
        phase('database closed');
      },
    };
  } catch (e) {
    for (const [, close] of closers.reverse()) await close().catch(() => {});
    await database?.close();
    throw e;
  }
}

export const CONTENT_POLL_JOB = 'flywheel:content-poll';

/** "the embedded database (FerretDB, files in .data/ferretdb, 127.0.0.1:40123)" or "the database at MONGODB_URI (mongodb://***@db:27017)". */
export function describeDatabase(config: Pick<Config, 'FLYWHEEL_DATA_DIR' | 'MONGODB_URI'>, database?: Database): string {
  if (!database || database.resolved.kind === 'external') return `the database at MONGODB_URI (${redact(config.MONGODB_URI ?? database?.resolved.uri ?? 'unknown')})`;
  const name = database.resolved.kind === 'ferretdb' ? 'FerretDB' : database.resolved.kind;
  return `the embedded database (${name}, files in ${join(config.FLYWHEEL_DATA_DIR, database.resolved.kind)}, ${database.resolved.uri.replace('mongodb://', '')})`;
}

/** Feed definitions from campaigns/feeds.ts; a bad file stops start-up like a bad campaign file. */
export async function loadFeedsOrFail(config: Config, programs?: readonly string[]): Promise<FeedDefinition[]> {
  const { feeds, issues } = await loadFeeds(config.FLYWHEEL_CAMPAIGNS_DIR, PROJECT_ROOT, programs);
  if (issues.length) throw new InvalidInputError('FEEDS_INVALID', `${issues.length} problem(s) in feed definitions:`, issues, 'Fix the fields named above; `flywheel validate` re-checks every file.');
  return feeds;
}

/** The content stage alone (feeds CLI commands need no renderer, transport or scheduler). */
export function createContentPoller(config: Config, deps: { store: Store; clock: Clock; log: Logger; feeds: FeedDefinition[]; programs?: readonly string[]; fetcher?: FeedFetcher }): ContentPoller {
  return new ContentPoller({
    store: deps.store, clock: deps.clock, log: deps.log, feeds: deps.feeds,
    fetcher: deps.fetcher ?? new HttpFeedFetcher({ timeoutMs: config.FLYWHEEL_FEED_TIMEOUT_MS, maxBytes: config.FLYWHEEL_FEED_MAX_BYTES, maxRedirects: config.FLYWHEEL_FEED_MAX_REDIRECTS }),
    contentDir: config.FLYWHEEL_CONTENT_DIR,
    rootDir: PROJECT_ROOT,
    ...(deps.programs ? { programs: deps.programs } : {}),
  });
}

/** What reading bounce reports needs (`flywheel bounces ingest|serve`): counters on the store, the bounce-token signer, the VERP address. */
export function createBounceIntake(config: Config, store: Store, options: { clock?: Clock; log?: Logger } = {}): { deps: BounceIntakeDeps & { log: Logger }; close(): Promise<void> } {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger(config.LOG_LEVEL);
  const counters = new CounterBuffer(store, { flushEveryMs: 1000, log });
  return {
    deps: { store, counters, clock, log, signer: new TokenSigner(config.FLYWHEEL_SECRET), bounceAddress: bounceAddressOf(config) },
    close: () => counters.close(),
  };
}

/** FLYWHEEL_BOUNCE_ADDRESS (default bounces@<From's domain>), or undefined when VERP is off. */
export function bounceAddressOf(config: Pick<Config, 'FLYWHEEL_BOUNCE_ADDRESS' | 'FLYWHEEL_FROM'>): BounceAddress | undefined {
  if (config.FLYWHEEL_BOUNCE_ADDRESS === 'off') return undefined;
  return parseBounceAddress(config.FLYWHEEL_BOUNCE_ADDRESS ?? `bounces@${parseAddress(config.FLYWHEEL_FROM).email.split('@')[1] ?? 'flywheel.local'}`);
}

/** The VERP envelope sender of each SMTP message: bounces+<sealed send id>@<bounce domain>. */
function returnPathFor(config: Config, signer: TokenSigner): ((tags: { sendLogId: string }) => string) | undefined {
  const base = bounceAddressOf(config);
  return base && ((tags) => verpAddress(base, signer.bounceToken(tags.sendLogId)));
}

/** "Name <email>" or "email" */
export function parseAddress(value: string): { name?: string; email: string } {
  const m = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(value);
  return m ? { name: m[1] || undefined, email: m[2]! } : { email: value.trim() };
}
