// Structured logs for long-running processes (workers, the HTTP server). CLI commands
// print for people instead and keep these at warn unless LOG_LEVEL says otherwise.
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'flywheel'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: false }));
}
