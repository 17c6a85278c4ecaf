// How the server fails: a database that cannot answer is a 503 with Retry-After (clients and
// load balancers come back later); anything else is a plain 500. Bodies never carry internal
// detail (addresses, stack traces, driver messages): those go to the log only.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { DeadlineError } from '../store/health.ts';
import { FlywheelError } from '../errors.ts';
import { errorPage, unavailablePage } from './pages.ts';

export const RETRY_AFTER_SECONDS = 30;

export function unavailable(reply: FastifyReply): FastifyReply {
  return reply.code(503).header('Retry-After', String(RETRY_AFTER_SECONDS)).header('Cache-Control', 'no-store').type('text/html').send(unavailablePage());
}

/** Errors that mean "the database did not answer": retry later. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof DeadlineError) return true;
  const name = (err as { name?: string })?.name ?? '';
  if (/^Mongo(ServerSelection|Network|NotConnected|Topology|PoolClosed)/.test(name) || name === 'MongooseServerSelectionError') return true;
  return err instanceof FlywheelError && (err.code === 'DB_UNREACHABLE' || err.code === 'DB_UNAVAILABLE');
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isDatabaseUnavailable(err)) {
      req.log.warn({ err: err.message }, 'database unavailable: answered 503');
      return unavailable(reply);
    }
    if (err instanceof FlywheelError && err.code === 'SEND_NOT_FOUND') return reply.code(404).type('text/html').send(errorPage(err.message));
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    // 4xx from Fastify and its plugins (body too large, rate limited, bad content type) are safe to name
    const message = status < 500 ? (status === 429 ? 'Too many requests; please wait a minute.' : err.message) : 'Something went wrong on our side.';
    return reply.code(status).type('text/html').send(errorPage(message));
  });
}
