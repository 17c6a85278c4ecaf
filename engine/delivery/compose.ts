// One recipient's message: the compiled step filled for the member, with the list headers.
// The member view and the headers come from render/ builders that previews use too.
import type { CompiledMessage } from '../render/index.ts';
import { memberView } from '../render/member-view.ts';
import { messageHeaders } from '../render/headers.ts';
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
  const member = memberView({ ...r, id: String(r.memberId) });
  const send = { sendLogId, campaign: ctx.campaign, step: ctx.step, sentAt };
  const filled = compiled.fill(member, send);
  return {
    messageId: r.messageId,
    from: ctx.from,
    to: { email: r.email, name: member.name || undefined },
    subject: filled.subject,
    date: sentAt,
    // joined only if a transport reads them whole (SendGrid, the outbox); SMTP encodes the pieces
    get html() { return filled.html; },
    get text() { return filled.text; },
    // the token the fill minted for the tracking URLs: one token (two crypto operations) per message
    headers: messageHeaders(ctx.urls, ctx.from, filled.recipientToken, send),
    pieces: { html: filled.htmlPieces, text: filled.textPieces },
    attachments: ctx.attachments.length ? ctx.attachments : undefined,
    tags: { sendLogId, campaign: ctx.campaign, step: ctx.step },
  };
}
