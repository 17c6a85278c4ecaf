// `flywheel worker`: plans due campaign steps every minute and sends queued batches.
import { Command } from 'commander';
import { withExitCodes } from './exit-codes.ts';
import { withEngine } from './engine-session.ts';
import { exitWhenStopped, runService } from './service.ts';
import type { Engine } from '../main.ts';

export function workerCommand(): Command {
  return new Command('worker')
    .description('Run a worker: plans due campaign steps every minute and sends queued batches. Run several to add throughput.')
    .action(async () => {
      let running: Engine | undefined;
      await withExitCodes(() => withEngine({}, (engine) => runService((running = engine), { worker: true, http: false })))();
      exitWhenStopped(running);
    });
}
