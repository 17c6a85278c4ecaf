// What the long-running commands (worker, serve, start) run: the worker, the HTTP server, or
// both, until SIGTERM or SIGINT. Then they stop within a few seconds (container platforms kill
// after 10-30 s), logging each phase:
//   1. take no new work: no new jobs; the HTTP server refuses new connections;
//   2. batch runs in flight finish the sends they started (outcomes recorded) and hand the rest
//      back, due at once for another worker or the next start (their leases end);
//   3. requests in flight are answered; every buffer is written: tracking hits, the unsubscribe
//      journal, counters; the transport's pooled connections close;
//   4. the database connection closes (and the embedded server is released).
// A second signal, or a stop that overruns STOP_DEADLINE_MS, ends the process at once (exit 1):
// what is not written by then is what a killed process leaves (leases expire, spool files replay).
import { Command } from 'commander';
import { withExitCodes } from './exit-codes.ts';
import { withEngine } from './engine-session.ts';
import type { Engine } from '../main.ts';

type ServiceParts = { worker: boolean; http: boolean };

/** A long-running command (worker, serve, start): runs its parts until told to stop, then exits. */
export function serviceCommand(name: string, description: string, parts: ServiceParts): Command {
  return new Command(name)
    .description(description)
    .action(async () => {
      let running: Engine | undefined;
      await withExitCodes(() => withEngine({}, (engine) => runService((running = engine), parts)))();
      exitWhenStopped(running);
    });
}

/** How long batch runs get to finish their sends in flight and record them. */
const SETTLE_MS = 2_500;
/** After this the process exits whatever is left: below the 5 s operators plan for. */
const STOP_DEADLINE_MS = 4_700;

function nextStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.removeListener('SIGINT', onInt);
      process.removeListener('SIGTERM', onTerm);
      resolve(signal);
    };
    const onInt = () => on('SIGINT');
    const onTerm = () => on('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
}

export async function runService(engine: Engine, parts: ServiceParts): Promise<void> {
  const app = parts.http ? await engine.http() : undefined;
  await app?.listen({ host: engine.config.FLYWHEEL_HTTP_HOST, port: engine.config.FLYWHEEL_HTTP_PORT });
  if (parts.worker) await engine.scheduler.start({ recurring: true });
  engine.log.info({ ...parts, url: app ? engine.config.FLYWHEEL_PUBLIC_URL : undefined, campaigns: engine.campaigns.length }, 'flywheel started');
  const signal = await nextStopSignal();
  await stopService(engine, app, signal);
}

/** The graceful stop, phase by phase (see the header). */
export async function stopService(engine: Engine, app: { close(): Promise<unknown> } | undefined, signal: NodeJS.Signals): Promise<void> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const { log } = engine;
  const abandon = (why: string) => {
    log.error({ signal, ms: ms() }, `stopping: ${why}; exiting now (leases expire and spooled hits replay at the next start)`);
    log.flush();
    process.exit(1);
  };
  const deadline = setTimeout(() => abandon(`not stopped within ${STOP_DEADLINE_MS} ms`), STOP_DEADLINE_MS);
  deadline.unref();
  const again = (s: NodeJS.Signals) => abandon(`${s} received again`);
  process.once('SIGINT', again);
  process.once('SIGTERM', again);

  log.info({ signal, running: engine.scheduler.progress.running }, 'flywheel stopping: taking no new work');
  // close() stops accepting at once and resolves when the requests in flight are answered
  const httpClosed = app?.close();
  await engine.beginStopping();
  const still = await engine.scheduler.settle(SETTLE_MS);
  if (still > 0) log.warn({ ms: ms(), running: still }, 'stopping: batch runs still sending; their leases expire and another worker resumes them');
  else log.info({ ms: ms() }, 'stopping: no batch in flight (finished, or the rest handed back for the next run)');
  await httpClosed;
  if (app) log.info({ ms: ms() }, 'stopping: HTTP server closed');
  await engine.close({ logPhases: true });
  clearTimeout(deadline);
  log.info({ signal, ms: ms() }, 'flywheel stopped');
}

/**
 * End a long-running command once it has stopped: write the last log lines and exit, rather than
 * wait for stray handles (a feed request in flight, a keep-alive socket) to let the loop go.
 */
export function exitWhenStopped(engine: Engine | undefined): void {
  engine?.log.flush();
  process.exit(process.exitCode ?? 0);
}
