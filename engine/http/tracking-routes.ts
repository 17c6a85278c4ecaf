// The hot routes: open pixel, click redirect, survey answer. They verify the token, hand a
// hit to the writer and answer: no database on the request path. A bad token still gets the
// pixel (readers never see an error for an image) and a verified click target still redirects.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.ts';
import type { TokenSigner, RecipientRef } from '../tracking/tokens.ts';
import type { HitWriter } from '../tracking/hit-writer.ts';
import { classifyAtReceipt, openFacts, ProxyFetchMemory, type Hit, type HitKind } from '../tracking/hits.ts';
import { GOOGLE_IMAGE_PROXY } from '../tracking/machine-rules.ts';
import { errorPage, surveyThanksPage } from './pages.ts';

/** 1x1 transparent GIF */
export const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

export interface TrackingRouteDeps {
  signer: TokenSigner;
  hits: HitWriter;
  clock: Clock;
}

/** Verifies tokens and hands hits to the writer, classified by the rules that need only the hit. */
export function hitRecorder(deps: TrackingRouteDeps) {
  const proxyFetches = new ProxyFetchMemory();
  const verify = (rt: string): RecipientRef | undefined => {
    try { return deps.signer.verifyRecipientToken(rt); } catch { return undefined; }
  };
  const record = (req: FastifyRequest, kind: HitKind, ref: RecipientRef, extra?: { target?: string; score?: number }) => {
    const at = deps.clock.now();
    const userAgent = req.headers['user-agent'] ?? '';
    const earlier = kind === 'open' && GOOGLE_IMAGE_PROXY.test(userAgent) ? proxyFetches.fetched(ref.sendLogId) : 0;
    const rule = classifyAtReceipt(kind, openFacts(req.method, userAgent, at, ref, earlier));
    const hit: Hit = { kind, ref, at, userAgent };
    if (rule) hit.rule = rule;
    if (extra?.target !== undefined) hit.target = extra.target;
    if (extra?.score !== undefined) hit.score = extra.score;
    deps.hits.add(hit);
  };
  return { verify, record };
}

export function mountTrackingRoutes(app: FastifyInstance, deps: TrackingRouteDeps, { verify, record } = hitRecorder(deps)): void {

  app.get<{ Params: { rt: string } }>('/o/:rt', (req, reply) => {
    const ref = verify(req.params.rt);
    if (ref) record(req, 'open', ref);
    else req.log.debug('open pixel with an invalid token');
    pixel(reply);
  });

  app.get<{ Params: { rt: string; ls: string }; Querystring: { u?: string } }>('/c/:rt/:ls', (req, reply) => {
    const target = req.query.u;
    if (!target || !deps.signer.verifyLink(target, req.params.ls)) {
      return safe(reply).code(400).type('text/html').send(errorPage('The link is incomplete or has been altered.'));
    }
    const ref = verify(req.params.rt);
    if (ref) record(req, 'click', ref, { target });
    else req.log.debug('click with an invalid token');
    return safe(reply).header('Cache-Control', 'no-store').redirect(target, 302);
  });
}

/** An HTML page, so it is mounted with the pages (security headers); it records like a click. */
export function mountSurveyAnswerRoute(app: FastifyInstance, { verify, record }: ReturnType<typeof hitRecorder>): void {

  app.get<{ Params: { rt: string; score: string } }>('/s/:rt/:score', (req, reply) => {
    const ref = verify(req.params.rt);
    if (!ref) return reply.code(400).type('text/html').send(errorPage('This survey link is incomplete or has been altered.'));
    const score = Number(req.params.score);
    if (!/^[1-5]$/.test(req.params.score)) return reply.code(400).type('text/html').send(errorPage('A score is a whole number from 1 to 5.'));
    record(req, 'csat', ref, { score });
    return reply.header('Cache-Control', 'no-store').type('text/html').send(surveyThanksPage(score, `/s/${req.params.rt}`));
  });
}

/** No Referer to click targets (tokens stay ours); no content sniffing. */
function safe(reply: FastifyReply): FastifyReply {
  return reply.header('Referrer-Policy', 'no-referrer').header('X-Content-Type-Options', 'nosniff');
}

/** The pixel's whole answer, built once: the most frequent response we send. */
const PIXEL_HEADERS = [
  'Content-Type', 'image/gif', 'Content-Length', String(PIXEL.length), 'Cache-Control', 'no-store, max-age=0',
  'Referrer-Policy', 'no-referrer', 'X-Content-Type-Options', 'nosniff',
];

/** Written straight to the socket (Fastify's reply pipeline has nothing to add to a fixed image; Node drops the body for HEAD). */
function pixel(reply: FastifyReply): void {
  reply.hijack();
  reply.raw.writeHead(200, PIXEL_HEADERS).end(PIXEL);
}
