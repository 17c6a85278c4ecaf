// The HTTP server: thin routes over tracking/ (and, later, reports and webhooks).
// No decisions here beyond parsing and status codes.
import Fastify, { type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Agenda } from 'agenda';
import { mountDashboard } from './dashboard.ts';
import type { TokenSigner, TrackingUrls } from '../tracking/tokens.ts';
import { FlywheelError } from '../errors.ts';
import { TOPICS, type Topic } from '../store/index.ts';
import { recordClick, recordOpen, recordRsvp, recordUnsubscribe, sendContext, setTopics, type TrackingDeps } from '../tracking/events.ts';
import { mountApplicationRoutes, type ApplyRouteOptions } from './applications.ts';
import { errorPage, preferencesPage, rsvpPage, unsubscribeConfirmPage, unsubscribedPage } from './pages.ts';

/** 1x1 transparent GIF */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

export interface ServerDeps extends TrackingDeps {
  signer: TokenSigner;
  urls: TrackingUrls;
  log: Logger;
  /** the job dashboard at /dash, when a password is configured */
  dashboard?: { agenda: Agenda; password: string };
  /** the public application form and API at /apply/:program */
  applications?: Omit<ApplyRouteOptions, 'clock'>;
}

export async function buildServer(deps: ServerDeps) {
  // Request lines only at debug: pixels and clicks are too many to log one by one.
  const httpLog = deps.log.child({ component: 'http' }, { level: deps.log.levelVal <= 20 || deps.log.levelVal > 40 ? deps.log.level : 'warn' });
  // Recipient tokens are ~120 characters (they carry the send's context): above Fastify's 100 default.
  const app = Fastify({ loggerInstance: httpLog, trustProxy: true, maxParamLength: 400 });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  const context = async (rt: string) => sendContext(deps.store, deps.signer.verifyRecipientToken(rt).sendLogId);

  if (deps.dashboard) await mountDashboard(app as never, deps.dashboard.agenda, deps.dashboard.password);

  if (deps.applications) await mountApplicationRoutes(app as never, { ...deps.applications, clock: deps.clock });

  app.get('/healthz', async () => ({ ok: true }));

  app.get<{ Params: { rt: string } }>('/o/:rt', async (req, reply) => {
    try {
      await recordOpen(deps, await context(req.params.rt));
    } catch (err) {
      // A bad pixel never shows the reader an error; it is only logged.
      req.log.warn({ err }, 'open not recorded');
    }
    return reply.header('Cache-Control', 'no-store, max-age=0').type('image/gif').send(PIXEL);
  });

  app.get<{ Params: { rt: string; ls: string }; Querystring: { u?: string } }>('/c/:rt/:ls', async (req, reply) => {
    const target = req.query.u;
    if (!target || !deps.signer.verifyLink(target, req.params.ls)) {
      return reply.code(400).type('text/html').send(errorPage('The link is incomplete or has been altered.'));
    }
    try {
      await recordClick(deps, await context(req.params.rt), target);
    } catch (err) {
      // The reader still gets where they were going: the target itself was verified.
      req.log.warn({ err }, 'click not recorded');
    }
    return reply.redirect(target, 302);
  });

  app.get<{ Params: { rt: string } }>('/u/:rt', async (req, reply) => withContext(reply, context(req.params.rt), (ctx) =>
    reply.type('text/html').send(unsubscribeConfirmPage(ctx.email, `/u/${req.params.rt}`, deps.urls.preferences(req.params.rt)))));

  // RFC 8058 one-click (body "List-Unsubscribe=One-Click") and the confirmation form both land here.
  app.post<{ Params: { rt: string }; Body: Record<string, string> | undefined }>('/u/:rt', async (req, reply) => withContext(reply, context(req.params.rt), async (ctx) => {
    const oneClick = req.body?.['List-Unsubscribe'] === 'One-Click';
    await recordUnsubscribe(deps, ctx, oneClick ? 'one-click' : 'link');
    return oneClick ? reply.code(200).type('text/plain').send('unsubscribed') : reply.type('text/html').send(unsubscribedPage(ctx.email));
  }));

  app.get<{ Params: { rt: string }; Querystring: { saved?: string } }>('/p/:rt', async (req, reply) => withContext(reply, context(req.params.rt), async (ctx) => {
    const member = await deps.store.models.Member.findById(ctx.memberId, { topics: 1 }).lean();
    const topics = Object.fromEntries(TOPICS.map((t) => [t, member?.topics?.[t] !== false])) as Record<Topic, boolean>;
    return reply.type('text/html').send(preferencesPage(ctx.email, topics, `/p/${req.params.rt}`, req.query.saved === '1'));
  }));

  app.post<{ Params: { rt: string }; Body: Record<string, string> | undefined }>('/p/:rt', async (req, reply) => withContext(reply, context(req.params.rt), async (ctx) => {
    const topics = Object.fromEntries(TOPICS.map((t) => [t, req.body?.[t] === 'on'])) as Record<Topic, boolean>;
    await setTopics(deps, ctx, topics);
    return reply.redirect(`/p/${req.params.rt}?saved=1`, 303);
  }));

  app.get<{ Params: { rt: string; answer: string } }>('/r/:rt/:answer', async (req, reply) => withContext(reply, context(req.params.rt), async (ctx) => {
    const answer = req.params.answer;
    if (answer !== 'yes' && answer !== 'no') return reply.code(400).type('text/html').send(errorPage('An RSVP answer is yes or no.'));
    await recordRsvp(deps, ctx, answer);
    return reply.type('text/html').send(rsvpPage(answer));
  }));

  return app;
}

async function withContext<T>(reply: FastifyReply, ctx: Promise<T>, handle: (ctx: T) => unknown): Promise<unknown> {
  let resolved: T;
  try {
    resolved = await ctx;
  } catch (err) {
    if (err instanceof FlywheelError && (err.code === 'TOKEN_INVALID' || err.code === 'SEND_NOT_FOUND')) {
      return reply.code(err.code === 'TOKEN_INVALID' ? 400 : 404).type('text/html').send(errorPage(err.message));
    }
    throw err;
  }
  return handle(resolved);
}
