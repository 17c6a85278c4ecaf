// `flywheel start` (and `npm start`): a worker and the HTTP server in one process.
import type { Command } from 'commander';
import { serviceCommand } from './service.ts';

export function startCommand(): Command {
  return serviceCommand('start', 'Run a worker and the HTTP server together (what `npm start` runs)', { worker: true, http: true });
}
