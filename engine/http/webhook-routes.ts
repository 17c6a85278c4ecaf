// POST /webhooks/sendgrid: SendGrid's signed Event Webhook. Thin: the raw body is kept for the
// signature, tracking/sendgrid-events.ts decides, tracking/sendgrid-ingest.ts writes. Answers 2xx
// only once every event is written, so SendGrid retries (for up to a day) whatever we could not take.
import type { KeyObject } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { TrackingDeps } from '../tracking/events.ts';
import { checkSignature, parseEventBatch, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../tracking/sendgrid-events.ts';
import { ingestSendGridEvents } from '../tracking/sendgrid-ingest.ts';
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from './errors.ts';

export interface SendGridWebhookOptions {
  /** SENDGRID_WEBHOOK_PUBLIC_KEY, parsed; undefined = not configured (every request gets 503) */
  publicKey?: KeyObject;
  /** SENDGRID_WEBHOOK_MAX_AGE_S */
  maxAgeS: number;
}

/** SendGrid batches events; a batch of a thousand is well under this. */
export const WEBHOOK_BODY_LIMIT = 5 * 1024 * 1024;
/** SendGrid posts from a few addresses, often; the limit only stops a flood. */
const WEBHOOK_RATE_LIMIT = { rateLimit: { max: 1200, timeWindow: '1 minute' } };

export async function mountSendGridWebhook(app: FastifyInstance, deps: TrackingDeps & { log: Logger }, options: SendGridWebhookOptions): Promise<void> {
  let warnedUnconfigured = false;
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));
    scope.post('/webhooks/sendgrid', { config: WEBHOOK_RATE_LIMIT, bodyLimit: WEBHOOK_BODY_LIMIT }, async (req, reply) => {
      const json = (code: number, body: object) => reply.code(code).header('Cache-Control', 'no-store').send(body);
      if (!options.publicKey) {
        if (!warnedUnconfigured) req.log.warn('SendGrid event webhook called but SENDGRID_WEBHOOK_PUBLIC_KEY is not set: answering 503 so SendGrid keeps the events and retries');
        warnedUnconfigured = true;
        return json(503, { error: 'the event webhook is not configured here: set SENDGRID_WEBHOOK_PUBLIC_KEY' });
      }
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const header = (name: string) => { const v = req.headers[name]; return Array.isArray(v) ? v[0] : v; };
      const check = checkSignature(options.publicKey, { signature: header(SIGNATURE_HEADER), timestamp: header(TIMESTAMP_HEADER) }, raw, deps.clock.now(), options.maxAgeS);
      if (!check.ok) {
        req.log.warn({ problem: check.problem, ip: req.ip }, 'SendGrid webhook request refused');
        return json(check.status, { error: check.problem });
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (e) {
        return json(400, { error: `the body is not JSON: ${(e as Error).message}` });
      }
      const batch = parseEventBatch(body);
      if ('problem' in batch) return json(400, { error: batch.problem });
      try {
        const outcome = await ingestSendGridEvents(deps, batch);
        if (batch.invalid.length) req.log.warn({ problems: batch.invalid.slice(0, 10).map((i) => i.problem), invalid: batch.invalid.length }, 'SendGrid webhook: some events could not be used (kept as provider-invalid events)');
        return json(200, { ...outcome, problems: batch.invalid.map((i) => i.problem) });
      } catch (err) {
        req.log.error({ err: (err as Error).message }, 'SendGrid webhook events not written; SendGrid will retry');
        if (isDatabaseUnavailable(err)) reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
        return json(503, { error: 'events not written yet; retry later' });
      }
    });
  });
}
