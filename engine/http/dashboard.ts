// The operators' job dashboard (Agendash) at /dash, behind HTTP basic auth. Mounted only
// when FLYWHEEL_DASHBOARD_PASSWORD is set: a queue view without a password is never served.
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

export async function mountDashboard(app: FastifyInstance, agenda: Agenda, password: string): Promise<void> {
  const expected = Buffer.from(`${DASHBOARD_USER}:${password}`);
  await app.register(async (scope) => {
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
