// The HTTP server: thin routes over tracking/ (and reports and webhooks). No decisions here
// beyond parsing, limits, headers and status codes.
import Fastify from 'fastify';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import type { Logger } from 'pino';
import type { Agenda } from 'agenda';
import { mountDashboard } from './dashboard.ts';
import { mountReports, type ReportsDeps } from './reports.ts';
import type { TokenSigner, TrackingUrls } from '../tracking/tokens.ts';
import type { TrackingDeps } from '../tracking/events.ts';
import type { HitWriter } from '../tracking/hit-writer.ts';
import type { UnsubscribeJournal } from '../tracking/unsubscribe-journal.ts';
import type { DatabaseHealth } from '../store/health.ts';
import { hitRecorder, mountSurveyAnswerRoute, mountTrackingRoutes } from './tracking-routes.ts';
import { mountMemberRoutes } from './member-routes.ts';
import { installErrorHandler } from './errors.ts';
import { PAGES_CSS } from './pages.ts';
import { mountApplicationRoutes, type ApplyRouteOptions } from './applications.ts';
import { mountSendGridWebhook, type SendGridWebhookOptions } from './webhook-routes.ts';

export interface ServerDeps extends TrackingDeps {
  signer: TokenSigner;
  urls: TrackingUrls;
  log: Logger;
  hits: HitWriter;
  journal: UnsubscribeJournal;
  health: DatabaseHealth;
  /** the public URL's origin: the only one the dashboard API accepts writes from */
  publicOrigin: string;
  /** the job dashboard at /dash, when a password is configured */
  dashboard?: { agenda: Agenda; password: string };
  /** the public application form and API at /apply/:program */
  applications?: Omit<ApplyRouteOptions, 'clock'>;
  /** the reports at /reports, behind the same password as /dash */
  reports?: Omit<ReportsDeps, 'store' | 'clock'>;
  /** POST /webhooks/sendgrid (SendGrid's signed Event Webhook) */
  sendgridWebhook?: SendGridWebhookOptions;
  /** extra routes mounted by later stages */
  mount?: Array<(app: import('fastify').FastifyInstance) => Promise<void> | void>;
}

/** Bodies are small forms; webhooks set their own, larger, limit. */
export const BODY_LIMIT = 16 * 1024;

/** Pages may load their style sheet and submit forms to us, and nothing else; no scripts at all. */
const CSP = {
  defaultSrc: ["'none'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], formAction: ["'self'"],
  baseUri: ["'none'"], frameAncestors: ["'none'"], scriptSrc: ["'none'"],
};

export async function buildServer(deps: ServerDeps) {
  // Request lines only at debug: pixels and clicks are too many to log one by one.
  const httpLog = deps.log.child({ component: 'http' }, { level: deps.log.levelVal <= 20 || deps.log.levelVal > 40 ? deps.log.level : 'warn' });
  // Recipient tokens are ~120 characters (they carry the send's context): above Fastify's 100 default.
  const app = Fastify({ loggerInstance: httpLog, trustProxy: true, routerOptions: { maxParamLength: 400 }, bodyLimit: BODY_LIMIT });
  installErrorHandler(app as never);
  await app.register(rateLimit, { global: false });

  if (deps.dashboard) await mountDashboard(app as never, deps.dashboard.agenda, deps.dashboard.password, deps.publicOrigin);
  if (deps.reports) await mountReports(app as never, { store: deps.store, clock: deps.clock, ...deps.reports });

  app.get('/healthz', async (_req, reply) => {
    const up = deps.health.isUp || (await deps.health.check());
    const tracking = deps.hits.stats;
    return reply.code(up ? 200 : 503).header('Cache-Control', 'no-store').send({
      ok: up,
      database: up ? 'up' : 'down',
      tracking: { received: tracking.received, persisted: tracking.persisted, buffered: tracking.buffered, spilled: tracking.spilled, bufferFull: tracking.overflowing, pendingEngagements: tracking.pendingEngagements, lastFlushError: tracking.lastFlushError ? 'write failed; retrying' : undefined },
    });
  });

  const recorder = hitRecorder(deps);
  // Hot routes: no helmet (a dozen headers per pixel cost throughput) and no hooks; each reply sets
  // just the headers it needs (tracking-routes.ts).
  await app.register(async (hot) => {
    mountTrackingRoutes(hot, deps, recorder);
  });

  // Pages and forms: security headers, urlencoded and multipart bodies (RFC 8058 allows either).
  await app.register(async (pages) => {
    await pages.register(helmet, { contentSecurityPolicy: { useDefaults: false, directives: CSP }, referrerPolicy: { policy: 'no-referrer' }, crossOriginEmbedderPolicy: false });
    pages.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
    await pages.register(multipart, { attachFieldsToBody: 'keyValues', limits: { fields: 20, fieldSize: 4096, files: 0, parts: 21 } });
    pages.get('/assets/pages.css', (_req, reply) => reply.header('Cache-Control', 'public, max-age=3600').type('text/css').send(PAGES_CSS));
    mountSurveyAnswerRoute(pages, recorder);
    mountMemberRoutes(pages, { ...deps, dbDeadlineMs: 3000 });
  });

  // The application form: its own scope (its own rate limit), urlencoded forms as elsewhere.
  const applications = deps.applications;
  if (applications) {
    await app.register(async (apply) => {
      apply.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(String(body))));
      });
      await mountApplicationRoutes(apply as never, { ...applications, clock: deps.clock });
    });
  }

  if (deps.sendgridWebhook) await mountSendGridWebhook(app as never, deps, deps.sendgridWebhook);

  for (const mount of deps.mount ?? []) await mount(app as never);
  return app;
}
