// Routes of the public application form and API: GET/POST /apply/:program. Thin: parse,
// call applications/, choose the status code. Abuse limits live here: a small body limit,
// a per-IP rate limit on submissions, and the honeypot (a filled trap field gets the normal
// confirmation and is not stored, so a robot learns nothing).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Clock } from '../clock.ts';
import { FlywheelError } from '../errors.ts';
import { submitApplication, type ApplicationDeps, type ResolvedApplicationSpec } from '../applications/index.ts';
import { HONEYPOT_FIELD } from '../applications/validate.ts';
import { promiseDate } from '../applications/applicant.ts';
import { applicationFormPage, applicationReceivedPage } from './apply-page.ts';
import { escapeHtml, page } from './pages.ts';

export interface ApplyRouteOptions {
  deps: ApplicationDeps;
  clock: Clock;
  /** submissions per IP per minute */
  ratePerMinute: number;
  /** request body limit in bytes */
  bodyLimit: number;
}

type Body = Record<string, unknown> | undefined;

function notFound(reply: FastifyReply, program: string, json: boolean) {
  const message = `The program "${program}" does not take applications.`;
  return json
    ? reply.code(404).send({ error: 'APPLICATION_UNKNOWN_PROGRAM', message })
    : reply.code(404).type('text/html').send(page('Not found', `<h1>No such application form</h1><p>${escapeHtml(message)}</p>`));
}

function formValues(body: Body): Record<string, string> {
  return Object.fromEntries(Object.entries(body ?? {}).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

export async function mountApplicationRoutes(app: FastifyInstance, opts: ApplyRouteOptions): Promise<void> {
  await app.register(async (scope) => {
    // encapsulated: the limiter applies to these routes only and cannot clash with another registration
    await scope.register(rateLimit, { global: false });

    scope.get<{ Params: { program: string } }>('/apply/:program', async (req, reply) => {
      const spec = opts.deps.specs.get(req.params.program);
      if (!spec) return notFound(reply, req.params.program, false);
      return reply.type('text/html').send(applicationFormPage(spec, `/apply/${encodeURIComponent(spec.program)}`));
    });

    scope.post<{ Params: { program: string }; Body: Body }>('/apply/:program', {
      bodyLimit: opts.bodyLimit,
      config: { rateLimit: { max: opts.ratePerMinute, timeWindow: 60_000 } },
    }, async (req: FastifyRequest<{ Params: { program: string }; Body: Body }>, reply) => {
      const json = !String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
      const spec = opts.deps.specs.get(req.params.program);
      if (!spec) return notFound(reply, req.params.program, json);
      const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? { ...req.body } : {};
      const trap = body[HONEYPOT_FIELD];
      delete body[HONEYPOT_FIELD];
      if (typeof trap === 'string' && trap.trim() !== '') {
        req.log.info({ program: spec.program, ip: req.ip }, 'application honeypot filled; not stored');
        return json ? reply.code(202).send({ status: 'received' }) : reply.type('text/html').send(applicationReceivedPage(spec, { status: 'pending', dueDate: promiseDate(spec, opts.clock.now()) }));
      }
      const now = opts.clock.now();
      let result;
      try {
        result = await submitApplication(opts.deps, spec.program, body, now);
      } catch (err) {
        if (err instanceof FlywheelError && err.code === 'APPLICATION_BUSY') {
          return json ? reply.code(409).send({ error: err.code, message: err.message }) : reply.code(409).type('text/html').send(page('Please try again', `<h1>Please try again</h1><p>${escapeHtml(err.message)}</p>`));
        }
        throw err;
      }
      if (!result.ok) {
        return json
          ? reply.code(422).send({ error: 'APPLICATION_INVALID', errors: result.errors })
          : reply.code(422).type('text/html').send(applicationFormPage(spec, `/apply/${encodeURIComponent(spec.program)}`, formValues(body), result.errors));
      }
      for (const f of result.ruleFailures) req.log.error({ program: spec.program, rule: f.rule, error: f.error }, 'application rule failed; left for manual review');
      const a = result.application;
      if (json) {
        return reply.code(result.resubmitted ? 200 : 201).send({
          id: a._id, program: a.program, status: a.status, resubmitted: result.resubmitted, dueAt: a.dueAt.toISOString(),
          ...(a.decisionReason ? { reason: a.decisionReason } : {}),
        });
      }
      return reply.type('text/html').send(applicationReceivedPage(spec, { status: a.status, dueDate: promiseDate(spec, a.dueAt) }));
    });
  });
}
