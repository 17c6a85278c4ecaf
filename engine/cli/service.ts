// What the long-running commands (worker, serve, start) run: the worker, the HTTP server, or
// both, until SIGINT or SIGTERM.
import type { Engine } from '../main.ts';

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

export async function runService(engine: Engine, parts: { worker: boolean; http: boolean }): Promise<void> {
  const app = parts.http ? await engine.http() : undefined;
  await app?.listen({ host: engine.config.FLYWHEEL_HTTP_HOST, port: engine.config.FLYWHEEL_HTTP_PORT });
  if (parts.worker) await engine.scheduler.start({ recurring: true });
  engine.log.info({ ...parts, url: app ? engine.config.FLYWHEEL_PUBLIC_URL : undefined, campaigns: engine.campaigns.length }, 'flywheel started');
  await waitForShutdown(engine, 'flywheel', async () => { await app?.close(); });
}
