// Commands that run the engine: worker, start, serve, send, run --once, report.
import { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '../config.ts';
import { createEngine, openStoreOnly, type Engine, type EngineOptions } from '../main.ts';
import { FlywheelError, InvalidInputError } from '../errors.ts';
import { engagementReport } from '../reports/kpi.ts';
import { reportAsCsv, reportAsTable } from '../reports/kpi-format.ts';
import { withExitCodes } from './exit-codes.ts';
import { countSendsOfStep, resultCountsOfStep } from '../ledger/index.ts';

const progressLine = (line: string) => process.stderr.write(`${line}\n`);

async function withEngine<T>(options: EngineOptions, fn: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = await createEngine(loadConfig(), { onProgress: progressLine, ...options });
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

/** Run queued batches through Agenda in this process until nothing due is left. */
export async function drain(engine: Engine, options: { pollMs?: number; stallMs?: number; failureGraceMs?: number } = {}): Promise<void> {
  const { scheduler } = engine;
  await scheduler.start({ recurring: false });
  const poll = options.pollMs ?? 200;
  const stallMs = options.stallMs ?? 5 * 60_000;
  const failureGraceMs = options.failureGraceMs ?? 10_000;
  let lastSettled = scheduler.progress.settled;
  let lastProgressAt = performance.now();
  try {
    // Wait until no batch is due and unfinished, twice in a row (a retry batch may just have been queued).
    let quiet = 0;
    while (quiet < 2) {
      await new Promise((r) => setTimeout(r, poll));
      // Ask the database only while this process runs no batch: the query reads every batch
      // document, and asking it several times a second mid-send takes CPU from the send itself.
      if (scheduler.progress.running > 0) {
        quiet = 0;
      } else {
        quiet = (await scheduler.unfinishedDue()) === 0 ? quiet + 1 : 0;
      }
      if (scheduler.progress.settled !== lastSettled) {
        lastSettled = scheduler.progress.settled;
        lastProgressAt = performance.now();
      }
      const idleMs = performance.now() - lastProgressAt;
      // A failed job leaves its batch unfinished: say so instead of waiting forever.
      if (quiet === 0 && ((scheduler.progress.failures.length > 0 && idleMs > failureGraceMs) || idleMs > stallMs)) {
        const unfinished = await scheduler.unfinishedDue();
        throw new FlywheelError(
          'SEND_STALLED',
          `${unfinished} batch(es) could not be finished${scheduler.progress.failures.length ? `: ${scheduler.progress.failures.slice(-3).join('; ')}` : ' (no progress)'}.`,
          { hint: 'Nothing is lost: the batches stay queued and a worker (`flywheel worker`) retries them. Fix the cause shown above first.' },
        );
      }
    }
  } finally {
    await scheduler.stop();
    await engine.counters.flush();
  }
}

function bar(total: number): SingleBar | undefined {
  if (total === 0 || !process.stderr.isTTY) return undefined;
  const b = new SingleBar({ format: 'sending |{bar}| {value}/{total} messages | {eta_formatted} left', stream: process.stderr }, Presets.shades_classic);
  b.start(total, 0);
  return b;
}

async function waitForShutdown(engine: Engine, what: string, extra: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      engine.log.info({ signal }, `${what} stopping`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await extra();
}

/** What a long-running command runs: the worker, the HTTP server, or both. */
async function runService(engine: Engine, parts: { worker: boolean; http: boolean }): Promise<void> {
  const app = parts.http ? await engine.http() : undefined;
  await app?.listen({ host: engine.config.FLYWHEEL_HTTP_HOST, port: engine.config.FLYWHEEL_HTTP_PORT });
  if (parts.worker) await engine.scheduler.start({ recurring: true });
  engine.log.info({ ...parts, url: app ? engine.config.FLYWHEEL_PUBLIC_URL : undefined, campaigns: engine.campaigns.length }, 'flywheel started');
  await waitForShutdown(engine, 'flywheel', async () => { await app?.close(); });
}

export function workerCommand(): Command {
  return new Command('worker')
    .description('Run a worker: plans due campaign steps every minute and sends queued batches. Run several to add throughput.')
    .action(withExitCodes(() => withEngine({}, (engine) => runService(engine, { worker: true, http: false }))));
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('Run the HTTP server only: open pixel, click redirects, unsubscribe, preferences, RSVP, /dash')
    .action(withExitCodes(() => withEngine({}, (engine) => runService(engine, { worker: false, http: true }))));
}

export function startCommand(): Command {
  return new Command('start')
    .description('Run a worker and the HTTP server together (what `npm start` runs)')
    .action(withExitCodes(() => withEngine({}, (engine) => runService(engine, { worker: true, http: true }))));
}

export function sendCommand(): Command {
  return new Command('send')
    .description('Send one step of a campaign to its whole audience now, whatever its schedule. Members who already got it are skipped.')
    .argument('<campaign>', 'campaign name (see `flywheel campaigns list`)')
    .argument('[step]', 'step id; defaults to the campaign\'s first step')
    .action(withExitCodes(async (name: string, stepArg: string | undefined) => {
      let progress: SingleBar | undefined;
      await withEngine({ onSendProgress: (n) => progress?.increment(n), processEveryMs: 250 }, async (engine) => {
        const outcome = await sendNow(engine, name, stepArg, (total) => { progress = bar(total); });
        progress?.stop();
        process.stdout.write(outcome);
      });
    }));
}

/** Plan `step` of campaign `name` for everyone now, send it, and describe what happened. */
export async function sendNow(engine: Engine, name: string, stepArg: string | undefined, onTotal: (n: number) => void = () => {}): Promise<string> {
  const campaign = engine.campaigns.find((c) => c.name === name);
  if (!campaign) {
    throw new InvalidInputError('CAMPAIGN_UNKNOWN', `No campaign named "${name}".`, [{ message: `known campaigns: ${engine.campaigns.map((c) => c.name).join(', ')}` }]);
  }
  const step = stepArg ?? campaign.steps[0];
  if (!step || !campaign.steps.includes(step)) {
    throw new InvalidInputError('STEP_UNKNOWN', `Campaign "${name}" has no step "${stepArg}".`, [{ subject: name, message: `steps: ${campaign.steps.join(', ')}` }]);
  }
  const report = await engine.scheduler.plan(campaign, { now: engine.clock.now(), forceStep: step });
  onTotal(report.created);
  if (report.created === 0) {
    const already = await countSendsOfStep(engine.store, name, step);
    return `${name}/${step}: nothing new to send (${already} member(s) already have it; every send is recorded once).\n`;
  }
  await drain(engine);
  const all = await resultCountsOfStep(engine.store, name, step);
  return `${name}/${step}: ${report.created} new send(s) queued; sent ${all.sent ?? 0}, failed ${all.failed ?? 0}, skipped ${all.skipped ?? 0}, retrying later ${all.retrying ?? 0}.\n`;
}

export function runCommand(): Command {
  return new Command('run')
    .description('Plan every active campaign now and send what is due, then exit (cron-style operation)')
    .requiredOption('--once', 'run one tick and drain the queue (the only mode; `flywheel worker` runs continuously)')
    .action(withExitCodes(async () => {
      let progress: SingleBar | undefined;
      await withEngine({ onSendProgress: (n) => progress?.increment(n), processEveryMs: 250 }, async (engine) => {
        const reports = await engine.scheduler.tick();
        const created = reports.reduce((n, r) => n + r.created, 0);
        progress = bar(created);
        await drain(engine);
        progress?.stop();
        for (const r of reports) if (r.created > 0) process.stdout.write(`${r.campaign}: ${r.created} send(s)\n`);
        process.stdout.write(`${created} send(s) planned and processed across ${reports.length} campaign(s).\n`);
      });
    }));
}

export function reportCommand(): Command {
  return new Command('report')
    .description('Engagement figures per campaign and program: sends, opens, clicks, unsubscribes, bounces')
    .option('--campaign <name>', 'only this campaign')
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .action(withExitCodes(async (opts: { campaign?: string; json?: boolean; csv?: boolean }) => {
      const config = loadConfig();
      const db = await openStoreOnly(config, { onProgress: progressLine });
      try {
        const rows = await engagementReport(db.store, { campaign: opts.campaign });
        if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else if (opts.csv) process.stdout.write(reportAsCsv(rows));
        else process.stdout.write(rows.length ? reportAsTable(rows) : 'No sends recorded yet.\n');
      } finally {
        await db.close();
      }
    }));
}

