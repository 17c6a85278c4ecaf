// SendGrid's Event Webhook, the pure half: is a request signed by SendGrid and fresh, what do its
// events say, and what should each one do here. SendGrid signs `timestamp + raw body` with ECDSA
// P-256 / SHA-256 and sends the base64 DER signature and the timestamp in two headers; the public
// key (base64 DER, as the SendGrid console shows it, or PEM) comes from configuration.
import { verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
export { parseWebhookPublicKey } from '../config.ts';

export const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

export type SignatureCheck = { ok: true } | { ok: false; status: 401 | 403; problem: string };

/** Signature and freshness of one request. `maxAgeS` bounds how old (or how far in the future) the timestamp may be. */
export function checkSignature(key: KeyObject, headers: { signature?: string; timestamp?: string }, rawBody: Buffer, now: Date, maxAgeS: number): SignatureCheck {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp) return { ok: false, status: 401, problem: `missing ${!signature ? 'X-Twilio-Email-Event-Webhook-Signature' : 'X-Twilio-Email-Event-Webhook-Timestamp'} header` };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, status: 403, problem: 'timestamp header is not a Unix time in seconds' };
  const sig = Buffer.from(signature, 'base64');
  let valid = false;
  try {
    valid = sig.length > 0 && verify('sha256', Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]), { key, dsaEncoding: 'der' }, sig);
  } catch {
    valid = false; // not a DER signature at all
  }
  if (!valid) return { ok: false, status: 403, problem: 'signature does not match the body and timestamp' };
  const ageS = now.getTime() / 1000 - Number(timestamp);
  if (Math.abs(ageS) > maxAgeS) return { ok: false, status: 403, problem: `timestamp is ${Math.round(Math.abs(ageS))} s ${ageS > 0 ? 'old' : 'in the future'} (limit ${maxAgeS} s): a replayed or delayed request` };
  return { ok: true };
}

export const SENDGRID_EVENT_TYPES = ['processed', 'delivered', 'deferred', 'bounce', 'dropped', 'spamreport', 'unsubscribe', 'group_unsubscribe', 'open', 'click'] as const;
export type SendGridEventType = (typeof SENDGRID_EVENT_TYPES)[number];

const eventSchema = z.object({
  sg_event_id: z.string().min(1).max(200),
  event: z.enum(SENDGRID_EVENT_TYPES),
  email: z.string().min(3).max(320).includes('@'),
  timestamp: z.number().int().nonnegative(),
  /** bounce: 'bounce' (the address is dead) or 'blocked' (refused for now) */
  type: z.string().optional(),
  status: z.string().optional(),
  reason: z.string().optional(),
  response: z.string().optional(),
  url: z.string().optional(),
  useragent: z.string().optional(),
  sg_machine_open: z.boolean().optional(),
  asm_group_id: z.number().optional(),
}).loose();

export type SendGridEvent = z.infer<typeof eventSchema> & { sendLogId?: string };

export interface ParsedBatch {
  events: SendGridEvent[];
  /** events we cannot use, with the reason; kept raw so nothing is lost */
  invalid: Array<{ index: number; problem: string; raw: unknown }>;
}

/** SendGrid posts a JSON array of events; each is checked on its own, so one bad event does not refuse the rest. */
export function parseEventBatch(body: unknown): ParsedBatch | { problem: string } {
  if (!Array.isArray(body)) return { problem: 'the body must be a JSON array of events' };
  const out: ParsedBatch = { events: [], invalid: [] };
  body.forEach((raw, index) => {
    const r = eventSchema.safeParse(raw);
    if (!r.success) {
      const i = r.error.issues[0]!;
      out.invalid.push({ index, problem: `[${index}].${i.path.join('.')}: ${i.message}`, raw });
      return;
    }
    const sendLogId = customArg(r.data, 'sendLogId');
    out.events.push({ ...r.data, ...(sendLogId ? { sendLogId } : {}) });
  });
  return out;
}

/** Our custom_args come back as top-level fields of each event (older APIs nested them in unique_args). */
function customArg(e: Record<string, unknown>, name: string): string | undefined {
  const nested = (e.custom_args ?? e.unique_args) as Record<string, unknown> | undefined;
  const v = e[name] ?? nested?.[name];
  return typeof v === 'string' && /^[0-9a-f]{24}$/.test(v) ? v : undefined;
}

/** What one event does here. */
export type EventEffect =
  | { effect: 'hard-bounce' | 'soft-bounce' | 'complaint'; detail: string; status?: string }
  | { effect: 'unsubscribe' }
  | { effect: 'group-unsubscribe'; group?: number }
  | { effect: 'open'; machine: boolean }
  | { effect: 'click'; url?: string }
  /** processed, delivered, dropped: kept as the provider's record of the send */
  | { effect: 'record' };

export function effectOf(e: SendGridEvent): EventEffect {
  const detail = (e.reason ?? e.response ?? '').slice(0, 500);
  switch (e.event) {
    case 'bounce':
      // 'blocked' is SendGrid's word for a refusal that says nothing final about the address
      return e.type === 'blocked' ? { effect: 'soft-bounce', detail: detail || 'blocked', status: e.status } : { effect: 'hard-bounce', detail: detail || 'bounced', status: e.status };
    case 'deferred': return { effect: 'soft-bounce', detail: detail || 'deferred', status: e.status };
    case 'spamreport': return { effect: 'complaint', detail: 'spam report' };
    case 'unsubscribe': return { effect: 'unsubscribe' };
    case 'group_unsubscribe': return { effect: 'group-unsubscribe', group: e.asm_group_id };
    case 'open': return { effect: 'open', machine: e.sg_machine_open === true };
    case 'click': return { effect: 'click', url: e.url };
    default: return { effect: 'record' };
  }
}
