// `flywheel worker`: plans due campaign steps every minute and sends queued batches.
import { Command } from 'commander';
import { withExitCodes } from './exit-codes.ts';
import { withEngine } from './engine-session.ts';
import { runService } from './service.ts';

export function workerCommand(): Command {
  return new Command('worker')
    .description('Run a worker: plans due campaign steps every minute and sends queued batches. Run several to add throughput.')
    .action(withExitCodes(() => withEngine({}, (engine) => runService(engine, { worker: true, http: false }))));
}
