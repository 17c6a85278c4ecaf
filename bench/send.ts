// bench:send: how close does the whole send path come to what the SMTP client alone can do?
// 20,000 generated members, one newsletter broadcast, end to end (plan -> send-log records and
// batches -> Agenda -> render -> SMTP -> result writes) against a local sink that discards, and,
// in the same run, raw nodemailer with the same pool size and messages in flight to the same sink.
// The sink runs in a child process (this file with --sink) so it never competes with either side
// for this process's event loop. Run: npm run bench:send   (MEMBERS=n to change the size)
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Types } from 'mongoose';
import { connect, type Socket } from 'node:net';
import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { parseConnectionUrl } from 'nodemailer/lib/shared/index.js';
import { SMTPServer } from 'smtp-server';
import pLimit from 'p-limit';
import { loadConfig } from '../engine/config.ts';
import { createEngine } from '../engine/main.ts';
import { drain } from '../engine/scheduler/drain.ts';
import { defineCampaign, validateDefinition } from '../engine/campaigns/index.ts';
import { openStore, resolveDatabase, ROOT_DIR } from '../engine/store/index.ts';
import { systemClock } from '../engine/clock.ts';
import { SmtpTransport } from '../engine/delivery/smtp.ts';
import { countDelivered } from '../engine/ledger/index.ts';

const MEMBERS = Number(process.env.MEMBERS ?? 20_000);
const POOL_SIZE = 5;
/** what createEngine uses per batch for this pool size: max(4, pool x 4) */
const IN_FLIGHT = Math.max(4, POOL_SIZE * 4);
const DB_NAME = 'bench_send';

const say = (line: string) => process.stderr.write(`${line}\n`);

// ---- the sink (child process) ----------------------------------------------------------
async function runSink(): Promise<void> {
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, cb) {
      stream.on('data', () => {});
      stream.on('end', () => { received++; cb(null, `OK: queued as B${received}`); });
    },
  });
  server.listen(0, '127.0.0.1', () => {
    const addr = server.server.address();
    process.send!({ port: typeof addr === 'object' && addr ? addr.port : 0 });
  });
  process.on('message', (m: { count?: boolean }) => { if (m.count) process.send!({ received }); });
  process.on('disconnect', () => server.close(() => process.exit(0)));
}

function startSink(): Promise<{ child: ChildProcess; url: string; received(): Promise<number> }> {
  const child = fork(fileURLToPath(import.meta.url), ['--sink'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (m: { port: number }) => resolve({
      child,
      url: `smtp://127.0.0.1:${m.port}`,
      received: () => new Promise((res) => {
        child.once('message', (r: { received: number }) => res(r.received));
        child.send({ count: true });
      }),
    }));
  });
}

// ---- peak RSS of this process -----------------------------------------------------------
let peakRss = 0;
const rssTimer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage.rss()); }, 50);
rssTimer.unref();

// ---- the benchmark ----------------------------------------------------------------------
async function main(): Promise<void> {
  const dataDir = join(ROOT_DIR, '.data', 'bench');
  say(`bench:send  ${MEMBERS} members, SMTP pool ${POOL_SIZE}, ${IN_FLIGHT} messages in flight per batch`);
  const db = await resolveDatabase({ mongodbUri: process.env.MONGODB_URI, dataDir, rootDir: ROOT_DIR, onProgress: say });
  const sink = await startSink();
  try {
    const store = await openStore(db.uri, DB_NAME);
    await store.db.dropDatabase();
    await store.close();

    const config = loadConfig({
      ...process.env,
      MONGODB_URI: db.uri,
      FLYWHEEL_DB_NAME: DB_NAME,
      FLYWHEEL_TRANSPORT: 'smtp',
      SMTP_URL: sink.url,
      SMTP_POOL_SIZE: String(POOL_SIZE),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    });
    const definition = defineCampaign({
      kind: 'broadcast', name: 'bench-newsletter', topic: 'newsletter', at: systemClock.now().toISOString(),
      template: 'newsletter', subject: 'Issue {{issue.number}}: {{issue.title}}', data: newsletterIssue(),
    });
    const campaign = validateDefinition(definition, 'bench-newsletter.ts').campaign!;
    const engine = await createEngine(config, { campaigns: [campaign], processEveryMs: 250 });
    try {
      await insertMembers(engine.store, MEMBERS);

      // Raw nodemailer first: the ceiling, with a message the size of a real rendered one.
      const sample = (await engine.renderer.prepare('newsletter', { data: newsletterIssue(), subject: 'Issue 42' }, 'en'))
        .fill({ id: new Types.ObjectId().toHexString(), email: 'a@devs.example', name: 'A', firstName: 'A', program: 'open-source', locale: 'en', timezone: 'UTC', attributes: {} }, { sendLogId: new Types.ObjectId().toHexString(), campaign: 'bench', step: 'issue', sentAt: engine.clock.now() });
      // PROFILE_ENGINE=1 skips both baselines (for `node --cpu-prof` runs of the engine alone).
      const skipBaselines = process.env.PROFILE_ENGINE === '1';
      const raw = skipBaselines ? { ms: 1 } : await rawNodemailer(sink.url, MEMBERS, sample);
      say(`raw nodemailer:   ${MEMBERS} messages in ${(raw.ms / 1000).toFixed(2)} s = ${rate(MEMBERS, raw.ms)} msg/s`);
      // Second baseline: our SMTP transport alone (pre-encoded bodies), no database, planning or rendering.
      const alone = skipBaselines ? { ms: 1 } : await transportAlone(sink.url, MEMBERS, sample);
      say(`SMTP transport alone: ${MEMBERS} messages in ${(alone.ms / 1000).toFixed(2)} s = ${rate(MEMBERS, alone.ms)} msg/s`);

      const before = await sink.received();
      const t0 = performance.now();
      const planned = await engine.scheduler.plan(campaign, { now: engine.clock.now(), forceStep: 'send' });
      const tPlan = performance.now();
      await drain(engine);
      const ms = performance.now() - t0;
      const delivered = (await sink.received()) - before;
      const sent = await countDelivered(engine.store, campaign.name);
      say(`engine end to end: ${planned.created} planned in ${((tPlan - t0) / 1000).toFixed(2)} s (${planned.batches} batches), ` +
        `${sent} sent and recorded, ${delivered} received by the sink, in ${(ms / 1000).toFixed(2)} s = ${rate(MEMBERS, ms)} msg/s`);
      if (sent !== MEMBERS || delivered !== MEMBERS) throw new Error(`expected ${MEMBERS} sent and received, got ${sent} recorded and ${delivered} received`);

      const msgsPerS = MEMBERS / (ms / 1000);
      const rawPerS = MEMBERS / (raw.ms / 1000);
      const ratio = msgsPerS / rawPerS;
      const alonePerS = MEMBERS / (alone.ms / 1000);
      const ratioVsTransport = msgsPerS / alonePerS;
      const peakMb = Math.round(peakRss / 1048576);
      say(`ratio engine/raw nodemailer: ${ratio.toFixed(2)} (target >= 0.70); engine/transport alone: ${ratioVsTransport.toFixed(2)}; peak RSS of this process ${peakMb} MB`);
      process.stdout.write(`${JSON.stringify({
        bench: 'send', msgs_per_s: round(msgsPerS), raw_msgs_per_s: round(rawPerS), ratio: Number(ratio.toFixed(3)),
        transport_msgs_per_s: round(alonePerS), ratio_vs_transport: Number(ratioVsTransport.toFixed(3)), peak_rss_mb: peakMb,
      })}\n`);
    } finally {
      await engine.close();
    }
  } finally {
    sink.child.disconnect();
    await db.stop();
  }
}

async function rawNodemailer(url: string, count: number, message: { subject: string; html: string; text: string }): Promise<{ ms: number }> {
  // The same connection setup as the SMTP transport: pool of POOL_SIZE, TCP_NODELAY sockets.
  const { host, port } = parseConnectionUrl(url);
  const mailer = nodemailer.createTransport({
    host, port, pool: true, maxConnections: POOL_SIZE,
    getSocket: (_o: unknown, cb: (err: Error | null, s?: { connection: Socket }) => void) => {
      const socket = connect({ host: host ?? '127.0.0.1', port: port ?? 25 }).setNoDelay(true);
      socket.once('error', (e) => cb(e)).once('connect', () => cb(null, { connection: socket }));
    },
  } as SMTPPool.Options);
  const limit = pLimit(IN_FLIGHT);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: count }, (_, i) => limit(() => mailer.sendMail({
    from: 'devrel@flywheel.example', to: `raw${i}@devs.example`, subject: message.subject, html: message.html, text: message.text,
  }))));
  const ms = performance.now() - t0;
  mailer.close();
  return { ms };
}

/** The engine's SMTP transport on its own: same pool, same messages in flight, same headers as the engine sends. */
async function transportAlone(url: string, count: number, message: { subject: string; html: string; text: string }): Promise<{ ms: number }> {
  const transport = new SmtpTransport({ url, poolSize: POOL_SIZE });
  const limit = pLimit(IN_FLIGHT);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: count }, (_, i) => limit(() => transport.send({
    messageId: `${i}.alone@flywheel.example`, from: { email: 'devrel@flywheel.example' }, to: { email: `alone${i}@devs.example` },
    subject: message.subject, html: message.html, text: message.text,
    headers: { 'List-Unsubscribe': '<https://flywheel.example/u/x>, <mailto:unsubscribe@flywheel.example>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click', 'X-Flywheel-Campaign': 'bench', 'X-Flywheel-Step': 'send' },
    tags: { sendLogId: String(i), campaign: 'bench', step: 'send' },
  }))));
  const ms = performance.now() - t0;
  await transport.close();
  return { ms };
}

async function insertMembers(store: import('../engine/store/index.ts').Store, count: number): Promise<void> {
  const now = systemClock.now();
  for (let i = 0; i < count; i += 5000) {
    await store.models.Member.collection.insertMany(Array.from({ length: Math.min(5000, count - i) }, (_, j) => ({
      _id: new Types.ObjectId(), email: `member${i + j}@devs.example`, name: `Member ${i + j}`, program: 'open-source', status: 'active',
      locale: 'en', timezone: 'UTC', tags: [], attributes: {}, renewals: [], topics: { newsletter: true, events: true, caseStudies: true }, createdAt: now, updatedAt: now,
    })));
  }
}

function newsletterIssue() {
  return {
    program: { name: 'Flywheel Champions', url: 'https://champions.flywheel.example/' },
    issue: { number: 42, title: 'Edge functions and a new SDK', date: '2026-03-04T09:00:00Z' },
    intro: 'here is what the community shipped this month.',
    items: [1, 2, 3, 4, 5, 6].map((n) => ({ title: `Story ${n}`, url: `https://flywheel.example/blog/${n}`, summary: `What happened in story ${n}, in two lines of text.`, tag: 'News', meta: `${n} min read` })),
    cta: { label: 'Browse the archive', url: 'https://flywheel.example/newsletter' },
  };
}

const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));
const round = (x: number) => Math.round(x * 10) / 10;

if (process.argv.includes('--sink')) {
  void runSink();
} else {
  main().then(() => process.exit(0), (err: unknown) => {
    say(`bench:send failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  });
}
