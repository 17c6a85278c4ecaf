// `flywheel start` (and `npm start`): a worker and the HTTP server in one process.
import { Command } from 'commander';
import { withExitCodes } from './exit-codes.ts';
import { withEngine } from './engine-session.ts';
import { exitWhenStopped, runService } from './service.ts';
import type { Engine } from '../main.ts';

export function startCommand(): Command {
  return new Command('start')
    .description('Run a worker and the HTTP server together (what `npm start` runs)')
    .action(async () => {
      let running: Engine | undefined;
      await withExitCodes(() => withEngine({}, (engine) => runService((running = engine), { worker: true, http: true })))();
      exitWhenStopped(running);
    });
}
