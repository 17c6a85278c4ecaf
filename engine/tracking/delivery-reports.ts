// What a report about delivery does, whoever made it (a SendGrid webhook event, a DSN or an ARF
// report that came back to our VERP address): hard bounces and complaints suppress the address
// through the ledger and count once per send; soft bounces count once per send (a message
// deferred five times is one send that met a temporary failure). Keys are per send, so the same
// bounce reported twice, or by two routes, never counts twice.
import { sendForTracking, suppress } from '../ledger/index.ts';
import { recordEvent, type TrackingDeps } from './events.ts';

/** The send a report is about, as the ledger knows it. */
export interface ReportedSend {
  sendLogId: string;
  memberId: string;
  campaign: string;
  step: string;
  program?: string;
  /** the subscription topic of the campaign (undefined for transactional mail) */
  topic?: string;
  email: string;
}

export type DeliveryReport =
  | { kind: 'hard-bounce'; status?: string; detail: string }
  | { kind: 'soft-bounce'; status?: string; detail: string }
  | { kind: 'complaint'; detail: string };

export interface ReportOutcome {
  /** false when this send's report of that kind was already recorded */
  counted: boolean;
  /** true when the address was newly suppressed */
  suppressed: boolean;
}

/** The send a send-log id names, or undefined (never sent by us, or erased). */
export async function reportedSend(deps: TrackingDeps, sendLogId: string): Promise<ReportedSend | undefined> {
  if (!/^[0-9a-f]{24}$/.test(sendLogId)) return undefined;
  const s = await sendForTracking(deps.store, sendLogId);
  return s ? { sendLogId, ...s } : undefined;
}

const EVENT_TYPE = { 'hard-bounce': 'bounce', 'soft-bounce': 'soft-bounce', complaint: 'complaint' } as const;
const SUPPRESSION = { 'hard-bounce': 'hard-bounce', complaint: 'complaint' } as const;

/** Record one report about one send: the counted event (keyed per send) and, for hard bounces and complaints, the suppression. */
export async function recordDeliveryReport(deps: TrackingDeps, send: ReportedSend, report: DeliveryReport, at: Date, source: string): Promise<ReportOutcome> {
  const type = EVENT_TYPE[report.kind];
  // suppress first: if the process stops in between, the replayed report still counts once
  const suppressed = report.kind === 'soft-bounce' ? false
    : await suppress(deps.store, send.email, SUPPRESSION[report.kind], at, { detail: `${source}: ${report.detail}`.slice(0, 500) });
  const counted = await recordEvent(deps, send, type, at, `${type}:${send.sendLogId}`, {
    source, detail: report.detail.slice(0, 500), ...('status' in report && report.status ? { status: report.status } : {}),
  });
  return { counted, suppressed };
}

/** A report about an address we cannot tie to a send (a provider event for mail sent by other systems): suppress only. */
export async function suppressReportedAddress(deps: TrackingDeps, email: string, report: DeliveryReport, at: Date, source: string): Promise<boolean> {
  if (report.kind === 'soft-bounce') return false;
  return suppress(deps.store, email, SUPPRESSION[report.kind], at, { detail: `${source}: ${report.detail}`.slice(0, 500) });
}
