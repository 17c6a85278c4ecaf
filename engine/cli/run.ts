// `flywheel run --once`: plan every active campaign now, send what is due, exit (cron style).
import { Command } from 'commander';
import type { SingleBar } from 'cli-progress';
import { withExitCodes } from './exit-codes.ts';
import { sendProgressBar, withEngine } from './engine-session.ts';

export function runCommand(): Command {
  return new Command('run')
    .description('Plan every active campaign now and send what is due, then exit (cron-style operation)')
    .requiredOption('--once', 'run one tick and drain the queue (the only mode; `flywheel worker` runs continuously)')
    .action(withExitCodes(async () => {
      let progress: SingleBar | undefined;
      await withEngine({ onSendProgress: (n) => progress?.increment(n), processEveryMs: 250 }, async (engine) => {
        const { drain } = await import('../scheduler/drain.ts');
        const reports = await engine.scheduler.tick();
        const created = reports.reduce((n, r) => n + r.created, 0);
        progress = sendProgressBar(created);
        await drain(engine);
        progress?.stop();
        for (const r of reports) if (r.created > 0) process.stdout.write(`${r.campaign}: ${r.created} send(s)\n`);
        process.stdout.write(`${created} send(s) planned and processed across ${reports.length} campaign(s).\n`);
      });
    }));
}
