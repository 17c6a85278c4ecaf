// A bounce or complaint that came back by mail, from `flywheel bounces ingest` (files) or
// `flywheel bounces serve` (SMTP): read it (bounce-reports.ts), find the send it is about (the
// sealed VERP token first; for files, the original Message-ID when no token survived), and record
// it (delivery-reports.ts: hard bounces and complaints suppress, soft bounces count, once per send).
import { FlywheelError } from '../errors.ts';
import type { TokenSigner } from './tokens.ts';
import type { TrackingDeps } from './events.ts';
import { verpToken, type BounceAddress } from './verp.ts';
import { readDeliveryReport, type ReportFacts } from './bounce-reports.ts';
import { recordDeliveryReport, reportedSend, type ReportedSend, type ReportOutcome } from './delivery-reports.ts';

export interface BounceIntakeDeps extends TrackingDeps {
  signer: TokenSigner;
  /** undefined when VERP is off: only Message-IDs can tie a report to a send */
  bounceAddress?: BounceAddress;
}

export interface IntakeResult {
  facts: ReportFacts;
  send: ReportedSend;
  /** how the send was found */
  via: 'bounce address' | 'message-id';
  /** undefined when the report needs no action (a DSN that reports a delivery, a not-spam report) */
  outcome?: ReportOutcome;
}

/** The send-log id a VERP address of ours seals, or undefined. */
export function sendLogIdOfBounceAddress(deps: Pick<BounceIntakeDeps, 'signer' | 'bounceAddress'>, address: string): string | undefined {
  const token = deps.bounceAddress && verpToken(address, deps.bounceAddress);
  if (!token) return undefined;
  try {
    return deps.signer.verifyBounceToken(token);
  } catch {
    return undefined;
  }
}

/**
 * Record one report. `envelopeTo` are the SMTP recipients it arrived for (the listener), tried
 * before anything the report itself says. Throws BOUNCE_REPORT_UNREADABLE (not a DSN/ARF) or
 * BOUNCE_REPORT_UNMATCHED (about no send of ours).
 */
export async function ingestBounceReport(deps: BounceIntakeDeps, raw: Buffer, options: { envelopeTo?: string[]; allowMessageId?: boolean } = {}): Promise<IntakeResult> {
  const facts = await readDeliveryReport(raw);
  const found = await findSend(deps, facts, options);
  const at = deps.clock.now();
  const outcome = facts.report ? await recordDeliveryReport(deps, found.send, facts.report, at, facts.format === 'dsn' ? 'dsn' : 'arf') : undefined;
  return { facts, ...found, outcome };
}

async function findSend(deps: BounceIntakeDeps, facts: ReportFacts, options: { envelopeTo?: string[]; allowMessageId?: boolean }): Promise<{ send: ReportedSend; via: IntakeResult['via'] }> {
  for (const address of [...(options.envelopeTo ?? []), ...facts.bounceAddresses]) {
    const id = sendLogIdOfBounceAddress(deps, address);
    const send = id && (await reportedSend(deps, id));
    if (send) return { send, via: 'bounce address' };
  }
  // our Message-IDs start with the send-log id: `<id>.<campaign>@<domain>`
  const id = options.allowMessageId !== false ? /^([0-9a-f]{24})\./.exec(facts.originalMessageId ?? '')?.[1] : undefined;
  const send = id && (await reportedSend(deps, id));
  if (send) return { send, via: 'message-id' };
  throw new FlywheelError('BOUNCE_REPORT_UNMATCHED', `a ${facts.format === 'dsn' ? 'delivery status notification' : 'feedback report'} about no message we sent: no valid bounce address (${deps.bounceAddress ? `${deps.bounceAddress.local}+<token>@${deps.bounceAddress.domain}` : 'VERP is off'}) and no Message-ID of ours${facts.originalMessageId ? ` (it names <${facts.originalMessageId}>)` : ''}`);
}
