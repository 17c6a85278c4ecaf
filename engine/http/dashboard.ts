// The operators' job dashboard (Agendash) at /dash, behind HTTP basic auth. Mounted only
// when FLYWHEEL_DASHBOARD_PASSWORD is set: a queue view without a password is never served.
// Its API changes jobs, so writes must be JSON (a cross-site HTML form cannot send JSON
// without a CORS preflight we never grant) from our own origin (Origin / Sec-Fetch-Site).
import type { FastifyInstance } from 'fastify';
import basicAuth from '@fastify/basic-auth';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Agenda } from 'agenda';
import { timingSafeEqual } from 'node:crypto';

export const DASHBOARD_USER = 'operator';

/**
 * agendash's entry point imports its Express adapter eagerly, which would make express a
 * dependency of ours; its package exports hide the Fastify adapter, so load that file directly.
 */
async function fastifyAdapter(): Promise<(agenda: Agenda) => unknown> {
  const entry = createRequire(import.meta.url).resolve('agendash');
  const mod = (await import(pathToFileURL(join(dirname(entry), 'middlewares', 'fastify.js')).href)) as { createFastifyPlugin: (agenda: Agenda) => unknown };
  return mod.createFastifyPlugin;
}

/** Why a write to the dashboard API is refused, or undefined to accept it (pure; tested per case). */
export function crossSiteRefusal(req: { method: string; headers: Record<string, string | string[] | undefined> }, ownOrigins: readonly string[]): { status: 403 | 415; why: string } | undefined {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return undefined;
  const origin = req.headers.origin;
  if (typeof origin === 'string' && !ownOrigins.includes(origin)) return { status: 403, why: `requests from ${origin} may not change jobs` };
  if (req.headers['sec-fetch-site'] === 'cross-site') return { status: 403, why: 'cross-site requests may not change jobs' };
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && type !== 'application/json') return { status: 415, why: 'the dashboard API accepts JSON only' };
  return undefined;
}

export async function mountDashboard(app: FastifyInstance, agenda: Agenda, password: string, publicOrigin: string): Promise<void> {
  const expected = Buffer.from(`${DASHBOARD_USER}:${password}`);
  await app.register(async (scope) => {
    // Only JSON bodies here, whatever other scopes accept.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 64 * 1024 }, scope.getDefaultJsonParser('error', 'error'));
    scope.addHook('onRequest', async (req, reply) => {
      // the origin the browser used to reach us (Host), or the configured public one
      const own = [publicOrigin, `${req.protocol}://${req.headers.host ?? ''}`];
      const refusal = crossSiteRefusal(req, own);
      if (refusal) return reply.code(refusal.status).send({ error: refusal.why });
    });
    await scope.register(basicAuth, {
      authenticate: { realm: 'Flywheel jobs' },
      validate: async (user, pass) => {
        const given = Buffer.from(`${user}:${pass}`);
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('wrong user or password');
      },
    });
    scope.addHook('onRequest', scope.basicAuth);
    await scope.register((await fastifyAdapter())(agenda) as never);
  }, { prefix: '/dash' });
}
