// Agenda runs all time-based work on the same database: a campaign tick (plan what is due),
// send batches at their due time, and a sweep that re-queues batches whose worker died.
// Agenda's own job locking is not atomic on FerretDB, so a job may occasionally run twice;
// every job here is idempotent (keyed writes, batch leases), which makes that harmless.
import { Agenda, type Job } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/index.ts';
import { kindOf, type LoadedCampaign } from '../campaigns/index.ts';
import { runBatch, DatabaseUnavailableError, type SenderDeps, type BatchOutcome } from '../delivery/sender.ts';
import { loadHistory, planCampaign, type PlanDeps } from './plan.ts';
import { countUnfinishedBatchesDue, overdueBatchIds, type BatchRecipient } from '../ledger/index.ts';
import { markPlanningInputs } from '../store/plan-marks.ts';
import { membersByIds, tickCampaigns } from './tick.ts';
import { candidates, type MemberHistory } from '../planner/index.ts';

export const JOB = {
  tick: 'flywheel:tick',
  sendBatch: 'flywheel:send-batch',
  sweep: 'flywheel:sweep',
} as const;

export interface SchedulerDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  plan: Omit<PlanDeps, 'store'>;
  /** sender dependencies except `schedule`, which the scheduler provides */
  sender: Omit<SenderDeps, 'schedule'>;
  /** the current campaign definitions (re-read by the caller when files change) */
  campaigns(): LoadedCampaign[];
  /** job polling interval */
  processEveryMs: number;
  /** batches run at once by this worker */
  batchConcurrency: number;
  /** other stages' periodic work (the applications review digest, content polling), each its own job so it never delays a tick */
  recurringJobs?: readonly RecurringJob[];
}

export interface RecurringJob {
  name: string;
  /** Agenda interval, e.g. '1 hour' */
  every: string;
  run(now: Date): Promise<unknown>;
  /** how long one run may hold the job before Agenda frees it (default: Agenda's) */
  lockLifetimeMs?: number;
}

export interface TickReport {
  campaign: string;
  planned: number;
  created: number;
  batches: number;
}

export class Scheduler {
  readonly agenda: Agenda;
  private readonly senderDeps: SenderDeps;
  /** what this process has done so far: recipients settled, jobs failed (for `drain`) */
  readonly progress = { settled: 0, running: 0, failures: [] as string[], fatal: undefined as Error | undefined };
  private readonly touching: (job: Job, work: () => Promise<unknown>) => Promise<void>;
  private otherJobsDefined = false;

  constructor(private readonly deps: SchedulerDeps) {
    this.agenda = new Agenda({
      backend: new MongoBackend({ mongo: deps.store.db }),
      processEvery: deps.processEveryMs,
      maxConcurrency: deps.batchConcurrency + 2,
      defaultLockLifetime: deps.sender.leaseMs,
      removeOnComplete: true,
    });
    this.senderDeps = {
      ...deps.sender,
      schedule: (batchId, at) => this.scheduleBatch(batchId, at),
      noLongerDue: (campaign, step, recipients) => this.noLongerDue(campaign, step, recipients),
      onProgress: (n) => {
        this.progress.settled += n;
        deps.sender.onProgress?.(n);
      },
    };
    // Agenda cancels a job not touched within its lock lifetime and frees its slot while the work
    // goes on: a batch keeps sending (a worker would end up running every batch at once), and a
    // long tick (a full build of the due index at 100,000 members) would be started again.
    const touching = async (job: Job, work: () => Promise<unknown>) => {
      const touch = setInterval(() => { job.touch().catch(() => {}); }, Math.max(500, deps.sender.leaseMs / 3));
      try {
        await work();
      } finally {
        clearInterval(touch);
      }
    };
    this.touching = touching;
    this.agenda.define<{ batchId: string }>(JOB.sendBatch, async (job: Job<{ batchId: string }>) => {
      await touching(job, () => this.runBatch(job.attrs.data.batchId));
    }, {
      concurrency: deps.batchConcurrency,
      // Lock only what this process can run, plus one ready to start: a process that locked every
      // queued batch (200 at 100,000 members) held them past their lock lifetime, other pollers
      // took them again ("job cannot be updated"), and other workers found nothing to share.
      lockLimit: deps.batchConcurrency + 1,
      lockLifetime: deps.sender.leaseMs,
    });
    this.agenda.on('error', (err) => deps.log.error({ err }, 'scheduler error'));
    this.agenda.ready.catch((err: unknown) => deps.log.error({ err }, 'scheduler could not initialise'));
    this.agenda.on('fail', (err, job) => {
      this.progress.failures.push(`${job.attrs.name}: ${err instanceof Error ? err.message : String(err)}`);
      deps.log.error({ err, job: job.attrs.name, data: job.attrs.data }, 'job failed');
    });
  }

  /**
   * Start processing jobs; with `recurring`, also keep the tick and sweep schedules. With
   * `onlyBatches` (one-shot sends), this process takes batch jobs and nothing else: Agenda polls
   * once per job type it knows, and on the embedded database each poll scans every queued job
   * (a thousand queued batches at 100,000 members); unknown types are not polled.
   */
  async start(options: { recurring: boolean; onlyBatches?: boolean }): Promise<void> {
    if (!options.onlyBatches || options.recurring) this.defineOtherJobs();
    await this.agenda.start();
    if (options.recurring) {
      await this.agenda.every('1 minute', JOB.tick);
      await this.agenda.every('5 minutes', JOB.sweep);
      for (const job of this.deps.recurringJobs ?? []) await this.agenda.every(job.every, job.name);
    }
  }

  /** The tick, the sweep and other stages' periodic work (defined once, when a start asks for them). */
  private defineOtherJobs(): void {
    if (this.otherJobsDefined) return;
    this.otherJobsDefined = true;
    const { deps } = this;
    this.agenda.define(JOB.tick, async (job: Job) => { await this.touching(job, () => this.tick()); }, { concurrency: 1 });
    this.agenda.define(JOB.sweep, async () => { await this.sweep(); }, { concurrency: 1 });
    for (const job of deps.recurringJobs ?? []) {
      this.agenda.define(job.name, async () => { await job.run(deps.clock.now()); }, { concurrency: 1, ...(job.lockLifetimeMs ? { lockLifetime: job.lockLifetimeMs } : {}) });
    }
  }

  /**
   * Take no new jobs (queued ones this process had locked are unlocked for other workers); jobs
   * already running go on: batch runs see the sender's `stopping` signal and hand back what they
   * have not started. Safe to call more than once, and before `stop`.
   */
  async stopTaking(): Promise<void> {
    await this.agenda.ready.catch(() => {});
    await this.agenda.stop(false);
  }

  /** Wait until this process runs no batch, or `timeoutMs` passes; the batches still running. */
  async settle(timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (this.progress.running > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.progress.running;
  }

  async stop(): Promise<void> {
    // Agenda creates its indexes as soon as it is constructed; let that finish before the
    // connection closes, or the closed client surfaces as an unhandled error.
    await this.agenda.ready.catch(() => {});
    await this.agenda.stop(false);
  }

  /** Plan what is due at `now` in every active campaign (the due index) and queue the batches it creates. */
  async tick(now = this.deps.clock.now()): Promise<TickReport[]> {
    const states = new Map((await this.deps.store.models.CampaignState.find({}, { name: 1, state: 1 }).lean()).map((s) => [s.name, s.state]));
    const active = this.deps.campaigns().filter((c) => states.get(c.name) !== 'paused' && states.get(c.name) !== 'removed');
    const reports: TickReport[] = [];
    for (const { campaign, outcome: r } of await tickCampaigns({ store: this.deps.store, log: this.deps.log, ...this.deps.plan }, active, now)) {
      for (const b of r.batchIds) await this.scheduleBatch(b.id, b.dueAt);
      if (r.created > 0) this.deps.log.info({ campaign: campaign.name, planned: r.planned, created: r.created, batches: r.batchIds.length }, 'sends planned');
      reports.push({ campaign: campaign.name, planned: r.planned, created: r.created, batches: r.batchIds.length });
    }
    await this.deps.store.models.CampaignState.updateMany({}, { $set: { lastTickAt: now } });
    return reports;
  }

  /** Plan one campaign (optionally forcing one step now) and queue its batches, each as soon as it is written. */
  async plan(campaign: LoadedCampaign, scope: { now: Date; forceStep?: string }, onQueued?: (recipients: number) => void): Promise<TickReport> {
    // each batch is queued as soon as it is written: once started, the first ones go out while planning goes on
    const onBatches = async (batches: Array<{ id: string; dueAt: Date; recipients: number }>) => {
      for (const b of batches) {
        await this.scheduleBatch(b.id, b.dueAt);
        onQueued?.(b.recipients);
      }
    };
    const r = await planCampaign({ store: this.deps.store, ...this.deps.plan, onBatches }, campaign, scope);
    if (r.created > 0) this.deps.log.info({ campaign: campaign.name, planned: r.planned, created: r.created, batches: r.batchIds.length }, 'sends planned');
    return { campaign: campaign.name, planned: r.planned, created: r.created, batches: r.batchIds.length };
  }

  async scheduleBatch(batchId: string, at: Date): Promise<void> {
    const now = this.deps.clock.now();
    if (at <= now) await this.agenda.now(JOB.sendBatch, { batchId });
    else await this.agenda.schedule(at, JOB.sendBatch, { batchId });
  }

  async runBatch(batchId: string): Promise<BatchOutcome> {
    this.progress.running++;
    try {
      const outcome = await runBatch(this.senderDeps, batchId);
      // a send changes what its recipients are due next (drip branches, event reminders, digests)
      if (outcome.memberIds) await markPlanningInputs(this.deps.store.db, { members: outcome.memberIds });
      return outcome;
    } catch (err) {
      // The database cannot record what is sent: a one-shot command stops at once (see drain).
      if (err instanceof DatabaseUnavailableError) this.progress.fatal ??= err;
      throw err;
    } finally {
      this.progress.running--;
    }
  }

  /**
   * Re-ask the planner, at send time, whether each recipient is still a candidate, for kinds
   * that ask for it (`recheckAtSend`: renewals stop once the member renews; drips stop at their
   * exit condition). Other kinds skip this: their members' state is checked through
   * suppressions, and reading every member of a large newsletter batch again would cost more than it could catch.
   */
  async noLongerDue(campaignName: string, step: string, recipients: BatchRecipient[]): Promise<Set<string>> {
    const campaign = this.deps.campaigns().find((c) => c.name === campaignName);
    const recheck = campaign ? kindOf(campaign.definition).recheckAtSend : 'no';
    if (!campaign || recheck === 'no') return new Set();
    const now = this.deps.clock.now();
    // by `_id`, and history of these recipients only: a batch's cost follows its size, not the audience's
    const members = await membersByIds(this.deps.store, recipients.map((r) => String(r.memberId)));
    const byId = new Map(members.map((m) => [String(m._id), m]));
    // Drip branches depend on what happened before (e.g. "did not open the welcome"): give the
    // planner the real history, minus the very sends being checked.
    const checking = new Set(recipients.map((r) => `${r.memberId}\u0000${r.occurrence ?? ''}`));
    const history: Map<string, MemberHistory> = recheck === 'history' ? await loadHistory(this.deps.store, campaign.name, recipients.map((r) => r.memberId)) : new Map();
    const horizon = new Date(now.getTime() + 400 * 86_400_000);
    const gone = new Set<string>();
    for (const r of recipients) {
      const member = byId.get(String(r.memberId));
      const past = history.get(String(r.memberId))?.sends.filter((s) => !(s.step === step && checking.has(`${r.memberId}\u0000${s.occurrence}`))) ?? [];
      const still = member && candidates(campaign, { member, history: { sends: past }, content: [], now, horizon })
        .some((c) => c.step === step && c.occurrence === (r.occurrence ?? ''));
      if (!still) gone.add(String(r.sendLogId));
    }
    return gone;
  }

  /** Unfinished batches whose due time is well past (their job was lost or their worker died). */
  async sweep(now = this.deps.clock.now()): Promise<number> {
    const overdue = new Date(now.getTime() - this.deps.sender.leaseMs);
    const stuck = await overdueBatchIds(this.deps.store, overdue);
    for (const batchId of stuck) await this.agenda.now(JOB.sendBatch, { batchId });
    if (stuck.length > 0) this.deps.log.warn({ batches: stuck.length }, 're-queued overdue batches');
    return stuck.length;
  }

  /** Batches not yet finished and due by `now`: what `run --once` waits for. */
  async unfinishedDue(now = this.deps.clock.now()): Promise<number> {
    return countUnfinishedBatchesDue(this.deps.store, now);
  }
}
