// `flywheel serve`: the HTTP server only.
import { Command } from 'commander';
import { withExitCodes } from './exit-codes.ts';
import { withEngine } from './engine-session.ts';
import { runService } from './service.ts';

export function serveCommand(): Command {
  return new Command('serve')
    .description('Run the HTTP server only: open pixel, click redirects, unsubscribe, preferences, RSVP, /dash')
    .action(withExitCodes(() => withEngine({}, (engine) => runService(engine, { worker: false, http: true }))));
}
