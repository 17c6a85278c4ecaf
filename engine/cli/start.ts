// `flywheel start` (and `npm start`): a worker and the HTTP server in one process.
import { Command } from 'commander';
import { withExitCodes } from './exit-codes.ts';
import { withEngine } from './engine-session.ts';
import { runService } from './service.ts';

export function startCommand(): Command {
  return new Command('start')
    .description('Run a worker and the HTTP server together (what `npm start` runs)')
    .action(withExitCodes(() => withEngine({}, (engine) => runService(engine, { worker: true, http: true }))));
}
