// The headers every message carries besides From/To/Subject, built in one place for the
// sender and for previews: RFC 8058 one-click unsubscribe, the RFC 2369 mailto fallback, and
// our correlation headers. `rt` is the recipient token of the send (tracking/tokens.ts).
import type { TrackingUrls } from '../tracking/tokens.ts';
import type { SendRef } from './types.ts';

export function messageHeaders(urls: TrackingUrls, from: { email: string }, rt: string, send: Pick<SendRef, 'sendLogId' | 'campaign' | 'step'>): Record<string, string> {
  const domain = from.email.split('@')[1] ?? 'localhost';
  return {
    'List-Unsubscribe': `<${urls.unsubscribe(rt)}>, <mailto:unsubscribe@${domain}?subject=unsubscribe%20${encodeURIComponent(rt)}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    'X-Flywheel-Campaign': send.campaign,
    'X-Flywheel-Step': send.step,
    'X-Flywheel-Send': send.sendLogId,
  };
}
