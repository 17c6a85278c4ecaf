// The raw facts rollups are made of, and what each one counts. Live counting (sender,
// tracking) and `flywheel kpis rebuild` both go through `rawEventDeltas`, so the two cannot
// disagree about what an event means; the rebuild test proves they agree about which events
// happened.
//
// Contract for whoever records engagement (collection `events`, one document per occurrence,
// each under a unique `key`; pixel, click and survey hits are stored in pages of many instead,
// tracking/hit-pages.ts, and `rawEventOfHit` gives each one's raw event):
//   open          data.machine: true for proxies/scanners       -> humanOpens | machineOpens
//   first-open    one per send (key `open:<sendLogId>`)          -> uniqueOpens
//   click         every click; data.machine for scanners         -> clicks (+ machineClicks)
//   first-click   one per send (key `click:<sendLogId>`)         -> uniqueClicks
//   unsubscribe   one per member (key `unsubscribe:<memberId>`)  -> unsubscribes
//   rsvp          data.answer yes|no; data.previous the answer it replaces, if any
//                                                                -> rsvpYes/rsvpNo (net: a change moves one)
//   csat          data.score (number); one document per member and step
//                 (key `csat:<campaign>:<step>:<memberId>`), holding the latest answer
//                                                                -> csatCount, csatSum
//   bounce        reported after sending (VERP, webhook)         -> bounces, bouncedAfterSend
//   soft-bounce   temporary failure reported after sending       -> softBounces
//   complaint                                                    -> complaints
//   provider-<event>  SendGrid processed/delivered/deferred/dropped, kept raw -> nothing (yet)
// Every event carries sendLogId, campaign, step, program (when the member has one) and `at`.
// Send outcomes come from send results: status sent -> sent; failed -> failed (+ bounces when
// the result says `bounce: true`).
import type { RollupMetric } from './metrics.ts';

export const RAW_EVENT_TYPES = ['open', 'first-open', 'click', 'first-click', 'unsubscribe', 'rsvp', 'csat', 'bounce', 'soft-bounce', 'complaint'] as const;
export type RawEventType = (typeof RAW_EVENT_TYPES)[number];

export interface RawEventData {
  machine?: boolean;
  answer?: 'yes' | 'no';
  previous?: 'yes' | 'no' | null;
  score?: number;
}

export type Deltas = Partial<Record<RollupMetric, number>>;

const RSVP_METRIC = { yes: 'rsvpYes', no: 'rsvpNo' } as const;

/** What one raw event adds to the rollups. Unknown types count nothing. */
export function rawEventDeltas(type: string, data: RawEventData = {}): Deltas {
  switch (type) {
    case 'open': return data.machine ? { machineOpens: 1 } : { humanOpens: 1 };
    case 'first-open': return { uniqueOpens: 1 };
    case 'click': return data.machine ? { clicks: 1, machineClicks: 1 } : { clicks: 1 };
    case 'first-click': return { uniqueClicks: 1 };
    case 'unsubscribe': return { unsubscribes: 1 };
    case 'bounce': return { bounces: 1, bouncedAfterSend: 1 };
    case 'complaint': return { complaints: 1 };
    case 'soft-bounce': return { softBounces: 1 };
    case 'csat': return typeof data.score === 'number' ? { csatCount: 1, csatSum: data.score } : {};
    case 'rsvp': {
      if (!data.answer || data.answer === data.previous) return {};
      const d: Deltas = { [RSVP_METRIC[data.answer]]: 1 };
      if (data.previous) d[RSVP_METRIC[data.previous]] = -1;
      return d;
    }
    default: return {};
  }
}

/** What one send result adds. Retrying and skipped results count nothing (the final attempt does). */
export function sendResultDeltas(status: string, bounce?: boolean | null): Deltas {
  if (status === 'sent') return { sent: 1 };
  if (status === 'failed') return bounce ? { failed: 1, bounces: 1 } : { failed: 1 };
  return {};
}
