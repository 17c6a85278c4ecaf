// One recipient's message: the compiled step filled for the member, with the list headers.
import type { CompiledMessage, MemberView } from '../render/index.ts';
import type { TrackingUrls } from '../tracking/tokens.ts';
import type { BatchRecipient } from '../ledger/index.ts';
import type { Address, Attachment, OutgoingMessage } from './transport.ts';

export interface ComposeContext {
  urls: TrackingUrls;
  from: Address;
  campaign: string;
  step: string;
  attachments: Attachment[];
}

export function composeMessage(ctx: ComposeContext, compiled: CompiledMessage, r: BatchRecipient, sentAt: Date): OutgoingMessage {
  const sendLogId = String(r.sendLogId);
  const member = memberView(r);
  const send = { sendLogId, campaign: ctx.campaign, step: ctx.step, sentAt };
  const filled = compiled.fill(member, send);
  return {
    messageId: r.messageId,
    from: ctx.from,
    to: { email: r.email, name: r.name || undefined },
    subject: filled.subject,
    html: filled.html,
    text: filled.text,
    headers: listHeaders(ctx, ctx.urls.recipient({ ...send, memberId: member.id, program: member.program }), send),
    attachments: ctx.attachments.length ? ctx.attachments : undefined,
    tags: { sendLogId, campaign: ctx.campaign, step: ctx.step },
  };
}

function memberView(r: BatchRecipient): MemberView {
  const name = r.name ?? '';
  return {
    id: String(r.memberId), email: r.email, name, firstName: name.split(/\s+/)[0] || name,
    program: r.program, locale: r.locale || 'en', timezone: r.timezone || 'UTC',
    country: r.country ?? undefined, expiresAt: r.expiresAt ?? undefined, attributes: (r.attributes as Record<string, unknown>) ?? {},
  };
}

/** RFC 8058 one-click unsubscribe, RFC 2369 mailto fallback, and our correlation headers. */
export function listHeaders(deps: { urls: TrackingUrls; from: Address }, rt: string, send: { sendLogId: string; campaign: string; step: string }): Record<string, string> {
  const { sendLogId, campaign, step } = send;
  const domain = deps.from.email.split('@')[1] ?? 'localhost';
  return {
    'List-Unsubscribe': `<${deps.urls.unsubscribe(rt)}>, <mailto:unsubscribe@${domain}?subject=unsubscribe%20${encodeURIComponent(rt)}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    'X-Flywheel-Campaign': campaign,
    'X-Flywheel-Step': step,
    'X-Flywheel-Send': sendLogId,
  };
}
