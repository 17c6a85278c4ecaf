// Sends one batch: the unit of work a worker takes. Exactly-once comes from three keyed
// writes: one run of a batch at a time (a lease inserted under `<batch>:<run>`), one result
// per record and attempt (`<sendLogId>:<attempt>`), and a resumed run skipping recorded results.
// Messages sent but not yet recorded when a worker dies (the in-flight window) are the only
// ones that can go out twice, and they reuse their Message-ID so the duplicate is detectable.
import pLimit from 'p-limit';
import { Types } from 'mongoose';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/index.ts';
import type { Renderer, CompiledMessage, MemberView } from '../render/index.ts';
import type { TrackingUrls } from '../tracking/tokens.ts';
import type { CounterBuffer } from '../reports/counters.ts';
import { sendResultDeltas } from '../reports/raw-events.ts';
import type { OutgoingMessage, Transport, Address } from './transport.ts';
import { decideRetry, type RetryPolicy, type RandomSource } from './retry.ts';
import { reserveDailyQuota, type DailyCapStore } from './throttle.ts';
import { blockingKeys, loadSuppressed, suppress } from './suppression.ts';
import { insertIgnoringDuplicates, type BatchRecipient } from '../scheduler/enqueue.ts';

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
  /**
   * Sends planned earlier that the campaign no longer wants now (a member renewed, left a drip's
   * audience, ...): returns their send-log ids. Provided by the scheduler, which knows the campaigns.
   */
  noLongerDue?(campaign: string, step: string, recipients: BatchRecipient[]): Promise<Set<string>>;
}

export type BatchOutcome =
  | { status: 'done'; sent: number; failed: number; skipped: number; retrying: number; alreadyDone: number }
  | { status: 'busy' | 'missing' | 'finished' }
  | { status: 'postponed'; until: Date; reason: string };

type ResultStatus = 'sent' | 'failed' | 'skipped' | 'retrying';
interface ResultDoc {
  _id: string; sendLogId: Types.ObjectId; batchId: Types.ObjectId; campaign: string; step: string;
  status: ResultStatus; at: Date; providerId?: string; transport?: string; reason?: string; retryBatchId?: Types.ObjectId;
  /** a permanent refusal that suppressed the address: counted as a bounce */
  bounce?: boolean;
}

const RESULT_FLUSH_EVERY = 100;
const RESULT_FLUSH_MS = 250;
const RESULT_WRITE_ATTEMPTS = 5;
const PAUSED_RECHECK_MS = 5 * 60_000;

export async function runBatch(deps: SenderDeps, batchId: string): Promise<BatchOutcome> {
  const { store, clock } = deps;
  const batch = await store.models.SendBatch.findById(batchId).lean();
  if (!batch) return { status: 'missing' };
  if (batch.finishedAt) return { status: 'finished' };

  const lease = await acquireLease(store, batch._id, deps.worker, clock.now(), deps.leaseMs);
  if (!lease) return { status: 'busy' };
  // The lease we know is ours until `heldUntil`. If renewals keep failing (a busy database), another
  // worker may take the batch once it passes, so this run stops starting sends a third of a lease
  // before that and leaves the rest to the next run.
  let heldUntil = clock.now().getTime() + deps.leaseMs;
  const leaseSafe = () => clock.now().getTime() < heldUntil - deps.leaseMs / 3;
  const renew = setInterval(() => {
    const until = clock.now().getTime() + deps.leaseMs;
    store.models.BatchLease.updateOne({ _id: lease.id }, { $set: { leaseUntil: new Date(until) } })
      .then(() => { heldUntil = Math.max(heldUntil, until); })
      .catch((e: unknown) => deps.log.warn({ err: e, batchId }, 'lease renewal failed'));
  }, Math.max(1000, deps.leaseMs / 3));
  renew.unref();

  try {
    const campaign = await store.models.CampaignState.findOne({ name: batch.campaign }).lean();
    if (campaign?.state === 'paused') {
      const until = new Date(clock.now().getTime() + PAUSED_RECHECK_MS);
      await deps.schedule(batchId, until);
      return { status: 'postponed', until, reason: 'campaign paused' };
    }
    const cancelled = campaign?.state === 'removed' || (campaign && campaign.steps.length > 0 && !campaign.steps.includes(batch.step));

    const recipients = batch.recipients as unknown as BatchRecipient[];
    const done = lease.run > 1 ? await recordedResults(store, recipients, batch.attempt) : new Set<string>();
    const writer = new ResultWriter(store, deps.log);
    const tally = { sent: 0, failed: 0, skipped: 0, retrying: 0, alreadyDone: done.size, leaseLost: 0 };
    const retryLater: RetryItem[] = [];
    const base = { batchId: batch._id, campaign: batch.campaign, step: batch.step };
    const result = (r: BatchRecipient, status: ResultStatus, extra: Partial<ResultDoc> = {}) => {
      tally[status]++;
      const at = clock.now();
      writer.add({ _id: `${r.sendLogId}:${batch.attempt}`, sendLogId: r.sendLogId, ...base, status, at, ...extra });
      // Counted from the same fact the rebuild reads back (the result), at the same instant.
      deps.counters.countAll({ campaign: batch.campaign, step: batch.step, program: r.program, memberId: String(r.memberId), at }, sendResultDeltas(status, extra.bounce));
      deps.onProgress?.(1);
    };

    const todo = recipients.filter((r) => !done.has(String(r.sendLogId)));
    if (cancelled) {
      for (const r of todo) result(r, 'skipped', { reason: 'step or campaign removed' });
    } else {
      const payload = await store.models.Payload.findById(batch.payloadId).lean();
      if (!payload) throw new Error(`batch ${batchId}: payload ${batch.payloadId} is missing`);
      const suppressed = await loadSuppressed(store, todo.map((r) => r.email));
      const superseded = (await deps.noLongerDue?.(batch.campaign, batch.step, todo)) ?? new Set<string>();
      const sendable = todo.filter((r) => {
        if (superseded.has(String(r.sendLogId))) {
          result(r, 'skipped', { reason: 'no longer due (the member changed since it was planned)' });
          return false;
        }
        const blocked = blockingKeys(r.email, batch.topic).some((k) => suppressed.has(k));
        if (blocked) result(r, 'skipped', { reason: 'suppressed or unsubscribed' });
        return !blocked;
      });

      const quota = await reserveDailyQuota(deps.dailyCap.store, deps.dailyCap.cap, sendable.length, clock.now());
      const overCap = sendable.splice(quota.granted);
      // Held back, not failed: these move on without using up a delivery attempt.
      for (const r of overCap) retryLater.push({ r, delayMs: quota.exhausted ? quota.refillsAt.getTime() - clock.now().getTime() : 0, reason: 'daily cap reached', failed: false });

      const compiled = new Map<string, Promise<CompiledMessage>>();
      const compile = (locale: string) => {
        let c = compiled.get(locale);
        if (!c) {
          c = deps.renderer.prepare(payload.template, { data: payload.data as Record<string, unknown>, subject: payload.subject, preheader: payload.preheader ?? undefined }, locale);
          compiled.set(locale, c);
        }
        return c;
      };
      const attachments = (payload.attachments ?? []).map((a) => ({ filename: a.filename ?? 'attachment', contentType: a.contentType ?? 'application/octet-stream', content: a.content ?? '' }));
      const limit = pLimit(deps.concurrency);

      await Promise.all(sendable.map((r) => limit(async () => {
        if (!leaseSafe()) { tally.leaseLost++; return; }
        let message: OutgoingMessage;
        try {
          const member = memberView(r);
          const send = { sendLogId: String(r.sendLogId), campaign: batch.campaign, step: batch.step, sentAt: clock.now() };
          const filled = (await compile(r.locale)).fill(member, send);
          message = {
            messageId: r.messageId,
            from: deps.from,
            to: { email: r.email, name: r.name || undefined },
            subject: filled.subject,
            html: filled.html,
            text: filled.text,
            headers: listHeaders(deps, deps.urls.recipient({ ...send, memberId: member.id, program: member.program }), send),
            attachments: attachments.length ? attachments : undefined,
            tags: { sendLogId: String(r.sendLogId), campaign: batch.campaign, step: batch.step },
          };
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

    if (tally.leaseLost > 0) {
      // Unsent recipients stay unrecorded (and transient failures unscheduled): the next run takes them.
      await writer.close();
      await deps.counters.flush();
      const until = new Date(clock.now().getTime() + deps.leaseMs);
      await deps.schedule(batchId, until);
      deps.log.warn({ batchId, run: lease.run, ...tally }, 'batch lease could not be renewed; the rest goes to the next run');
      return { status: 'postponed', until, reason: 'lease could not be renewed' };
    }
    if (retryLater.length > 0) await scheduleRetries(deps, batch, retryLater, result);
    await writer.close();
    await deps.counters.flush();
    await store.models.SendBatch.updateOne({ _id: batch._id }, { $set: { finishedAt: clock.now() } });
    deps.log.info({ batchId, campaign: batch.campaign, step: batch.step, attempt: batch.attempt, run: lease.run, ...tally }, 'batch done');
    return { status: 'done', ...tally };
  } finally {
    clearInterval(renew);
    await store.models.BatchLease.updateOne({ _id: lease.id }, { $set: { leaseUntil: clock.now() } }).catch(() => {});
  }
}

interface RetryItem {
  r: BatchRecipient;
  delayMs: number;
  reason: string;
  /** a delivery failure (counts against the retry limit), or only held back (daily cap) */
  failed: boolean;
}

/**
 * Recipients to try later move to a new batch, due after their backoff; each keeps its
 * Message-ID. Failed and merely held-back recipients go to separate batches, because only
 * failures count towards the retry limit (`failures`); `attempt` numbers every hand-off.
 */
async function scheduleRetries(
  deps: SenderDeps,
  batch: { _id: Types.ObjectId; campaign: string; step: string; payloadId: string; category?: string | null; topic?: string | null; attempt: number; failures?: number | null },
  items: RetryItem[],
  result: (r: BatchRecipient, status: ResultStatus, extra?: Partial<ResultDoc>) => void,
): Promise<void> {
  const failuresSoFar = batch.failures ?? batch.attempt - 1;
  for (const failed of [true, false]) {
    const group = items.filter((i) => i.failed === failed);
    if (group.length === 0) continue;
    const dueAt = new Date(deps.clock.now().getTime() + Math.max(...group.map((i) => i.delayMs)));
    const retryId = new Types.ObjectId();
    await deps.store.models.SendBatch.collection.insertOne({
      _id: retryId, campaign: batch.campaign, step: batch.step, payloadId: batch.payloadId, category: batch.category,
      topic: batch.topic, dueAt, attempt: batch.attempt + 1, failures: failuresSoFar + (failed ? 1 : 0),
      recipients: group.map((i) => i.r), createdAt: deps.clock.now(), updatedAt: deps.clock.now(),
    } as never);
    for (const i of group) result(i.r, 'retrying', { reason: i.reason, retryBatchId: retryId });
    await deps.schedule(retryId.toHexString(), dueAt);
  }
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
export function listHeaders(deps: Pick<SenderDeps, 'urls' | 'from'>, rt: string, send: { sendLogId: string; campaign: string; step: string }): Record<string, string> {
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

/** Insert `<batch>:<run>` for the first run whose predecessor's lease has expired. */
async function acquireLease(store: Store, batchId: Types.ObjectId, worker: string, now: Date, leaseMs: number): Promise<{ id: string; run: number } | undefined> {
  for (let run = 1; run < 1000; run++) {
    const id = `${batchId}:${run}`;
    const lost = await insertIgnoringDuplicates(store.models.BatchLease.collection, [{ _id: id, batchId, run, worker, leaseUntil: new Date(now.getTime() + leaseMs) }]);
    if (!lost.has(0)) return { id, run };
    const holder = await store.models.BatchLease.findById(id).lean();
    if (holder && holder.leaseUntil > now) return undefined; // a live run holds the batch
    // that run is over (finished or died): try the next run number
  }
  return undefined;
}

/** Records of this batch that an earlier run already settled. */
async function recordedResults(store: Store, recipients: BatchRecipient[], attempt: number): Promise<Set<string>> {
  const ids = recipients.map((r) => `${r.sendLogId}:${attempt}`);
  const rows = await store.models.SendResult.find({ _id: { $in: ids } }, { sendLogId: 1 }).lean();
  return new Set(rows.map((r) => String(r.sendLogId)));
}

/** Buffers result inserts: one round trip per 100 results or 250 ms. */
class ResultWriter {
  private buffer: ResultDoc[] = [];
  private pending: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  constructor(private readonly store: Store, private readonly log: Logger) {}

  add(doc: ResultDoc): void {
    this.buffer.push(doc);
    if (this.buffer.length >= RESULT_FLUSH_EVERY) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), RESULT_FLUSH_MS);
  }

  private flush(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    const docs = this.buffer;
    this.buffer = [];
    if (docs.length === 0) return;
    // Flushes are chained so they never overlap; a failure is surfaced by close().
    // A result not written means a message sent again by the next run, so a failed insert is
    // retried (keyed, so a partly applied insert is harmless) before the run gives up.
    this.pending = this.pending.then(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const dup = await insertIgnoringDuplicates(this.store.models.SendResult.collection, docs);
          if (dup.size > 0) this.log.warn({ duplicates: dup.size }, 'results already recorded by another run');
          return;
        } catch (err) {
          if (attempt >= RESULT_WRITE_ATTEMPTS) throw err;
          this.log.warn({ err, attempt }, 'result write failed; retrying');
          await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
        }
      }
    });
  }

  async close(): Promise<void> {
    this.flush();
    await this.pending;
  }
}
