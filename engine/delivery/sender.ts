// Sends one batch: the unit of work a worker takes. Exactly-once comes from keyed writes: one
// run of a batch at a time (a lease inserted under `<batch>:<run>`), the run's outcomes recorded
// in pages written in order (`<batch>:<run>:<seq>`), and a resumed run skipping what earlier runs
// recorded. Messages sent but not yet recorded when a worker (or the database) dies, the in-flight
// window, are the only ones that can go out twice, and they reuse their Message-ID so the
// duplicate is detectable. The window is bounded: sends wait while outcomes pile up unwritten and
// stop as soon as they cannot be written. Counters count an outcome once it is recorded.
// This file orchestrates; the lease, the result writer, the triage (pure) and retry hand-offs
// live beside it, and every read or write of the send ledger goes through engine/ledger/.
import pLimit from 'p-limit';
import type { Types } from 'mongoose';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/index.ts';
import type { Renderer, CompiledMessage } from '../render/index.ts';
import type { TrackingUrls } from '../tracking/tokens.ts';
import type { CounterBuffer } from '../reports/counters.ts';
import { sendsRenewalReminders } from '../reports/metrics.ts';
import { sendResultDeltas } from '../reports/raw-events.ts';
import {
  batchById, markBatchFinished, postponeBatch, payloadById, settledByEarlierRuns, suppress, suppressedKeys,
  type BatchRecipient, type ResultStatus, type SendOutcome, type StoredBatch,
} from '../ledger/index.ts';
import type { Transport, Address } from './transport.ts';
import { decideRetry, type RetryPolicy, type RandomSource } from './retry.ts';
import { reserveDailyQuota, type DailyCapStore } from './throttle.ts';
import { BatchRunLease } from './batch-lease.ts';
import { ResultWriter, DatabaseUnavailableError } from './result-writer.ts';
import { splitAtCap, triageRecipients } from './triage.ts';
import { handedOnByEarlierRuns, handOnForRetry, type RetryItem } from './retry-batches.ts';
import { composeMessage } from './compose.ts';
import { CampaignWatch } from './campaign-watch.ts';

export interface SenderDeps {
  store: Store;
  transport: Transport;
  renderer: Renderer;
  urls: TrackingUrls;
  counters: CounterBuffer;
  clock: Clock;
  log: Logger;
  from: Address;
  /** worker identity, recorded on leases */
  worker: string;
  leaseMs: number;
  /** messages in flight at once within a batch */
  concurrency: number;
  retry: RetryPolicy;
  random: RandomSource;
  dailyCap: { cap: number; store: DailyCapStore };
  /** queue a batch to run at a time (the scheduler's job queue) */
  schedule(batchId: string, at: Date): Promise<void>;
  /** called after each recipient is settled (progress bars) */
  onProgress?(settled: number): void;
  /** aborted when this process is stopping (SIGTERM): runs start no more sends and hand the rest back */
  stopping?: AbortSignal;
  /**
   * Sends planned earlier that the campaign no longer wants now (a member renewed, left a drip's
   * audience, ...): returns their send-log ids. Provided by the scheduler, which knows the campaigns.
   */
  noLongerDue?(campaign: string, step: string, recipients: BatchRecipient[]): Promise<Set<string>>;
}

export { DatabaseUnavailableError };

export type BatchOutcome =
  | { status: 'done'; sent: number; failed: number; skipped: number; retrying: number; alreadyDone: number }
  | { status: 'busy' | 'missing' | 'finished' }
  | { status: 'postponed'; until: Date; reason: string };

const PAUSED_RECHECK_MS = 5 * 60_000;

/** A batch run's outcome, with the members of the batch when it was read (their next due times change). */
export type BatchRunOutcome = BatchOutcome & { memberIds?: string[] };

export async function runBatch(deps: SenderDeps, batchId: string): Promise<BatchRunOutcome> {
  const batch = await batchById(deps.store, batchId);
  if (!batch) return { status: 'missing' };
  const memberIds = batch.recipients.map((r) => String(r.memberId));
  if (batch.finishedAt) return { status: 'finished', memberIds };
  return { ...(await runReadBatch(deps, batch)), memberIds };
}

async function runReadBatch(deps: SenderDeps, batch: StoredBatch): Promise<BatchOutcome> {
  const { store, clock } = deps;
  const batchId = String(batch._id);
  const lease = await BatchRunLease.claim(deps, batch._id);
  if (!lease) return { status: 'busy' };
  try {
    const watch = await CampaignWatch.start(store, batch.campaign, batch.step);
    if (watch.current() === 'paused') {
      const until = new Date(clock.now().getTime() + PAUSED_RECHECK_MS);
      await postpone(deps, batch._id, until);
      return { status: 'postponed', until, reason: 'campaign paused' };
    }
    const cancelled = watch.current() === 'removed';
    const renewalReminder = sendsRenewalReminders(watch.kind);

    const recipients = batch.recipients;
    const done = await settledByEarlierRuns(store, batch, lease.run);
    const writer = new ResultWriter(store, deps.log, { batchId: batch._id, campaign: batch.campaign, step: batch.step, attempt: batch.attempt, run: lease.run });
    const tally = { sent: 0, failed: 0, skipped: 0, retrying: 0, alreadyDone: done.size, leaseLost: 0, paused: 0, handedBack: 0, unrecordable: 0 };
    const retryLater: RetryItem[] = [];
    const result = (r: BatchRecipient, status: ResultStatus, extra: Partial<SendOutcome> = {}) => {
      tally[status]++;
      const at = clock.now();
      // Counted from the same fact the rebuild reads back (the result), once it is recorded.
      writer.add({ sendLogId: r.sendLogId, status, at, ...extra }, () => {
        deps.counters.countAll({ campaign: batch.campaign, step: batch.step, program: r.program, memberId: String(r.memberId), at, renewalReminder }, sendResultDeltas(status, extra.bounce));
        deps.onProgress?.(1);
      });
    };

    // An earlier run that died right after writing a retry batch left its recipients unrecorded here.
    for (const { r, retryBatchId } of await handedOnByEarlierRuns(deps, batch, lease.run, done)) {
      done.add(String(r.sendLogId));
      result(r, 'retrying', { reason: 'handed on to a retry batch by an earlier run', retryBatchId });
    }
    const todo = recipients.filter((r) => !done.has(String(r.sendLogId)));
    const payload = cancelled ? undefined : await payloadById(store, batch.payloadId);
    if (!cancelled && !payload) throw new Error(`batch ${batchId}: payload ${batch.payloadId} is missing`);
    const triage = triageRecipients(todo, {
      cancelled,
      superseded: cancelled ? new Set() : ((await deps.noLongerDue?.(batch.campaign, batch.step, todo)) ?? new Set()),
      suppressed: cancelled ? new Set() : await suppressedKeys(store, todo.map((r) => r.email)),
      topic: batch.topic,
    });
    for (const s of triage.skipped) result(s.recipient, 'skipped', { reason: s.reason });

    if (payload && triage.sendable.length > 0) {
      const quota = await reserveDailyQuota(deps.dailyCap.store, deps.dailyCap.cap, triage.sendable.length, clock.now());
      const { now: sendable, overCap } = splitAtCap(triage.sendable, quota.granted);
      // Held back, not failed: these move on without using up a delivery attempt.
      for (const r of overCap) retryLater.push({ r, delayMs: quota.exhausted ? quota.refillsAt.getTime() - clock.now().getTime() : 0, reason: 'daily cap reached', failed: false });

      const compiled = new Map<string, Promise<CompiledMessage>>();
      const compile = (locale: string) => {
        let c = compiled.get(locale);
        if (!c) {
          c = deps.renderer.prepare(payload.template, { data: payload.data, subject: payload.subject, preheader: payload.preheader ?? undefined }, locale);
          compiled.set(locale, c);
        }
        return c;
      };
      const attachments = (payload.attachments ?? []).map((a) => ({ filename: a.filename ?? 'attachment', contentType: a.contentType ?? 'application/octet-stream', content: a.content ?? '' }));
      const context = { urls: deps.urls, from: deps.from, campaign: batch.campaign, step: batch.step, attachments };
      const limit = pLimit(deps.concurrency);

      await Promise.all(sendable.map((r) => limit(async () => {
        if (deps.stopping?.aborted) { tally.handedBack++; return; }
        // outcomes that cannot be written would be sent again by the next run: stop first
        if (!(await writer.room())) { tally.unrecordable++; return; }
        if (!lease.safe()) { tally.leaseLost++; return; }
        // paused or removed since the batch started: stop starting sends
        const state = watch.current();
        if (state === 'paused') { tally.paused++; return; }
        if (state === 'removed') { result(r, 'skipped', { reason: 'step or campaign removed' }); return; }
        let message;
        try {
          message = composeMessage(context, await compile(r.locale), r, clock.now());
        } catch (e) {
          // A template that cannot render for this member is a permanent failure of this record, not of the batch.
          result(r, 'failed', { reason: `render: ${(e as Error).message}` });
          return;
        }
        try {
          const sent = await deps.transport.send(message);
          result(r, 'sent', { providerId: sent.providerId, transport: deps.transport.name });
        } catch (e) {
          const decision = decideRetry(e, (batch.failures ?? batch.attempt - 1) + 1, deps.retry, deps.random);
          if (decision.action === 'retry') {
            retryLater.push({ r, delayMs: decision.delayMs, reason: decision.reason, failed: true });
            return;
          }
          if (decision.suppress) await suppress(store, r.email, 'hard-bounce', clock.now(), { detail: decision.reason });
          result(r, 'failed', { reason: decision.reason, bounce: decision.suppress || undefined });
        }
      })));
    }

    if (tally.unrecordable > 0) {
      // Rejects (DatabaseUnavailableError) if the database stays unwritable; the job fails and
      // the command stops. If the writes went through after all, the rest is sent by a new run now.
      await writer.close();
      await deps.schedule(batchId, clock.now());
      deps.log.warn({ batchId, run: lease.run, ...tally }, 'results could not be written for a while; the rest of the batch goes to the next run');
      return { status: 'postponed', until: clock.now(), reason: 'results could not be written' };
    }
    if (tally.handedBack > 0) {
      // This process is stopping: what it sent is recorded; the rest (transient failures included,
      // unrecorded) is due again now, for another worker or the next start, once the lease ends below.
      await writer.close();
      await flushCounters(deps);
      await deps.schedule(batchId, clock.now());
      deps.log.info({ batchId, run: lease.run, ...tally }, 'stopping: batch handed back; the rest goes to the next run');
      return { status: 'postponed', until: clock.now(), reason: 'worker stopping' };
    }
    // A retry batch written once another run may have started would race that run's recovery.
    if (retryLater.length > 0 && !lease.safe()) tally.leaseLost += retryLater.length;
    if (tally.leaseLost > 0 || tally.paused > 0) {
      // Unsent recipients stay unrecorded (and transient failures unscheduled): the next run takes them.
      await writer.close();
      await flushCounters(deps);
      const reason = tally.leaseLost > 0 ? 'lease could not be renewed' : 'campaign paused';
      const until = new Date(clock.now().getTime() + (tally.leaseLost > 0 ? deps.leaseMs : PAUSED_RECHECK_MS));
      // A paused batch is due again when it is re-checked; a batch whose lease was lost stays due
      // (another worker may take it as soon as the lease passes, and `drain` keeps waiting for it).
      if (tally.leaseLost > 0) await deps.schedule(batchId, until);
      else await postpone(deps, batch._id, until);
      deps.log.warn({ batchId, run: lease.run, ...tally }, `${reason}; the rest of the batch goes to the next run`);
      return { status: 'postponed', until, reason };
    }
    if (retryLater.length > 0) {
      await handOnForRetry(deps, batch, lease.run, retryLater, (i, retryBatchId) => result(i.r, 'retrying', { reason: i.reason, retryBatchId }));
    }
    await writer.close();
    await flushCounters(deps);
    await markBatchFinished(store, batch._id, clock.now());
    deps.log.info({ batchId, campaign: batch.campaign, step: batch.step, attempt: batch.attempt, run: lease.run, ...tally }, 'batch done');
    return { status: 'done', ...tally };
  } finally {
    await lease.release();
  }
}

/**
 * The counts of a batch are written before it is marked finished, but a counter write that fails
 * must not fail the batch: its sends are recorded (the results are the truth the counters are
 * rebuilt from), the buffer logs the failure and keeps the numbers for its next flush.
 */
async function flushCounters(deps: SenderDeps): Promise<void> {
  await deps.counters.flush().catch((err: unknown) => deps.log.warn({ err }, 'counters not written yet; they stay buffered'));
}

/** Put a paused batch off to `until`: its due time first (what the sweep reads), then its job. */
async function postpone(deps: SenderDeps, batchId: Types.ObjectId, until: Date): Promise<void> {
  await postponeBatch(deps.store, batchId, until);
  await deps.schedule(String(batchId), until);
}
