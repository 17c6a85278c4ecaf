// `flywheel serve`: the HTTP server only.
import type { Command } from 'commander';
import { serviceCommand } from './service.ts';

export function serveCommand(): Command {
  return serviceCommand('serve', 'Run the HTTP server only: open pixel, click redirects, unsubscribe, preferences, RSVP, /dash', { worker: false, http: true });
}
