// `flywheel worker`: plans due campaign steps every minute and sends queued batches.
import type { Command } from 'commander';
import { serviceCommand } from './service.ts';

export function workerCommand(): Command {
  return serviceCommand('worker', 'Run a worker: plans due campaign steps every minute and sends queued batches. Run several to add throughput.', { worker: true, http: false });
}
