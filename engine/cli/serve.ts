// `flywheel serve`: the HTTP server only.
import { Command } from 'commander';
import { withExitCodes } from './exit-codes.ts';
import { withEngine } from './engine-session.ts';
import { exitWhenStopped, runService } from './service.ts';
import type { Engine } from '../main.ts';

export function serveCommand(): Command {
  return new Command('serve')
    .description('Run the HTTP server only: open pixel, click redirects, unsubscribe, preferences, RSVP, /dash')
    .action(async () => {
      let running: Engine | undefined;
      await withExitCodes(() => withEngine({}, (engine) => runService((running = engine), { worker: false, http: true })))();
      exitWhenStopped(running);
    });
}
