// What the reliability tests share: worker processes (spawned, watched, always cleaned up),
// generated members inserted straight into the test database, a broadcast to send them,
// and a wait for every batch of a campaign to settle.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { Types } from 'mongoose';
import { defineCampaign } from '../../engine/campaigns/index.ts';
import { ROOT_DIR, type Store } from '../../engine/store/index.ts';
import type { WorkerLine } from '../support/worker-process.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';
import { recordedResults } from '../../engine/ledger/index.ts';

const WORKER_ENTRY = join(ROOT_DIR, 'test', 'support', 'worker-process.ts');

export interface Worker {
  pid: number;
  /** resolves once the worker has planned and started processing batches */
  ready: Promise<Extract<WorkerLine, { event: 'ready' }>>;
  /** resolves with the exit code (or signal name) */
  exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): void;
  stderr(): string;
}

/** Every worker a test started; `stopWorkers` kills what is still running. */
const running = new Set<ChildProcess>();

export function startWorker(env: Record<string, string>): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
    cwd: ROOT_DIR,
    env: { ...process.env, LOG_LEVEL: 'warn', FLYWHEEL_TRANSPORT: 'smtp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-20_000); });
  // RELIABILITY_LOG_DIR=dir keeps each worker's full log (stderr) for a post-mortem
  if (process.env.RELIABILITY_LOG_DIR) child.stderr!.pipe(createWriteStream(join(process.env.RELIABILITY_LOG_DIR, `worker-${child.pid}.log`)));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => {
    running.delete(child);
    resolve(code ?? signal ?? -1);
  }));
  const ready = new Promise<Extract<WorkerLine, { event: 'ready' }>>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const parsed = JSON.parse(line) as WorkerLine;
      if (parsed.event === 'ready') resolve(parsed);
    });
    void exited.then((code) => reject(new Error(`worker ${child.pid} exited (${code}) before it was ready:\n${stderr}`)));
  });
  ready.catch(() => {});
  return { pid: child.pid!, ready, exited, kill: (signal) => child.kill(signal), stderr: () => stderr };
}

/** Kill every worker still running and wait for each to exit: no test leaves an orphan. */
export async function stopWorkers(): Promise<void> {
  await Promise.all([...running].map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  })));
}

/** Environment for a worker on this test database, sending to `smtpUrl`. */
export function workerEnv(store: Store, mongoUri: string, smtpUrl: string, campaign: object, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MONGODB_URI: mongoUri,
    FLYWHEEL_DB_NAME: store.db.databaseName,
    SMTP_URL: smtpUrl,
    SMTP_POOL_SIZE: '5',
    FLYWHEEL_TEST_CAMPAIGN: JSON.stringify(campaign),
    ...extra,
  };
}

export const memberEmail = (i: number) => `member${String(i).padStart(5, '0')}@devs.example`;

/** `count` active members, all opted in to the newsletter topic. */
export async function insertMembers(store: Store, count: number): Promise<string[]> {
  const docs = Array.from({ length: count }, (_, i) => ({
    _id: new Types.ObjectId(),
    email: memberEmail(i),
    name: `Member ${i}`,
    program: 'open-source',
    status: 'active',
    locale: 'en',
    timezone: 'UTC',
    tags: [],
    attributes: {},
    renewals: [],
    topics: { newsletter: true, events: true, caseStudies: true },
    createdAt: new Date(),
    updatedAt: new Date(),
  }));
  for (let i = 0; i < docs.length; i += 1000) await store.models.Member.collection.insertMany(docs.slice(i, i + 1000));
  return docs.map((d) => d.email);
}

/** A newsletter-template broadcast that was due a minute ago, so the first tick plans it for everyone. */
export function dueBroadcast(name: string, now: Date) {
  return defineCampaign({
    kind: 'broadcast',
    name,
    topic: 'newsletter',
    at: new Date(now.getTime() - 60_000).toISOString(),
    template: 'newsletter',
    subject: 'Issue {{issue.number}}: {{issue.title}}',
    data: newsletterIssue(),
  });
}

/** What the newsletter template needs: one issue with three items. */
export function newsletterIssue() {
  return {
    program: { name: 'Flywheel Champions', url: 'https://champions.flywheel.example/' },
    issue: { number: 42, title: 'Edge functions and a new SDK', date: '2026-03-04T09:00:00Z' },
    intro: 'here is what the community shipped this month.',
    items: [1, 2, 3].map((n) => ({ title: `Story ${n}`, url: `https://flywheel.example/blog/${n}`, summary: `What happened in story ${n}.`, tag: 'News', meta: `${n} min read` })),
    cta: { label: 'Browse the archive', url: 'https://flywheel.example/newsletter' },
  };
}

/** Poll until `check` is true, or fail with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, pollMs = 100, progress?: () => Promise<string> | string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${progress ? ` (${await progress()})` : ''}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** True once the campaign has batches and every one of them (retries included) has finished. */
export async function campaignSettled(store: Store, campaign: string): Promise<boolean> {
  const [all, open] = await Promise.all([
    (await ledgerModels(store)).SendBatch.countDocuments({ campaign }),
    (await ledgerModels(store)).SendBatch.countDocuments({ campaign, finishedAt: null }),
  ]);
  return all > 0 && open === 0;
}

/** A one-line picture of a campaign's progress, for timeout messages. */
export async function campaignProgress(store: Store, campaign: string, received: number): Promise<string> {
  const batches = await (await ledgerModels(store)).SendBatch.find({ campaign }, { finishedAt: 1, attempt: 1, dueAt: 1 }).lean();
  const leases = await (await ledgerModels(store)).BatchLease.countDocuments({});
  const results = (await recordedResults(store, { campaign })).length;
  const open = batches.filter((b) => !b.finishedAt);
  const jobs = await store.db.collection('agendaJobs').find({}, { projection: { lockedAt: 1, nextRunAt: 1, failReason: 1 } }).toArray();
  return `${received} received, ${results} results, ${open.length} of ${batches.length} batches open, ${leases} lease(s), ` +
    `${jobs.length} job(s) ${JSON.stringify(jobs.slice(0, 5))}`;
}

/** Received messages grouped by recipient address. */
export function byRecipient<T extends { envelope: { to: string[] } }>(messages: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const m of messages) for (const to of m.envelope.to) out.set(to, [...(out.get(to) ?? []), m]);
  return out;
}
