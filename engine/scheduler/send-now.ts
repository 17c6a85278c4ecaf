// An engine operation: send one step of a campaign to its whole audience now, whatever its
// schedule (`flywheel send`, the demo). Members who already have it are skipped by key.
import type { Clock } from '../clock.ts';
import type { Store } from '../store/index.ts';
import type { LoadedCampaign } from '../campaigns/index.ts';
import { InvalidInputError } from '../errors.ts';
import { countSendsOfStep, resultCountsOfStep, unfinishedBatchesOfStep } from '../ledger/index.ts';
import { drain, type DrainParts } from './drain.ts';

export interface SendNowParts extends DrainParts {
  campaigns: readonly LoadedCampaign[];
  clock: Clock;
  store: Store;
}

/** Plan `step` of campaign `name` for everyone now, send it, and describe what happened. */
export interface SendNowOptions {
  /** after resuming batches an earlier send left unfinished: bring the step's counts in line (returns a note) */
  afterResume?(campaign: string, step: string): Promise<string>;
}

/** Recipients of a step without a final outcome yet (for the progress bar of a resumed send). */
async function unsettledOf(engine: SendNowParts, campaign: string, step: string): Promise<number> {
  const counts = await resultCountsOfStep(engine.store, campaign, step);
  const settled = (counts.sent ?? 0) + (counts.failed ?? 0) + (counts.skipped ?? 0);
  return Math.max(0, (await countSendsOfStep(engine.store, campaign, step)) - settled);
}

export async function sendNow(engine: SendNowParts, name: string, stepArg: string | undefined, onTotal: (n: number) => void = () => {}, options: SendNowOptions = {}): Promise<string> {
  const campaign = engine.campaigns.find((c) => c.name === name);
  if (!campaign) {
    throw new InvalidInputError('CAMPAIGN_UNKNOWN', `No campaign named "${name}".`, [{ message: `known campaigns: ${engine.campaigns.map((c) => c.name).join(', ')}` }]);
  }
  const step = stepArg ?? campaign.steps[0];
  if (!step || !campaign.steps.includes(step)) {
    throw new InvalidInputError('STEP_UNKNOWN', `Campaign "${name}" has no step "${stepArg}".`, [{ subject: name, message: `steps: ${campaign.steps.join(', ')}` }]);
  }
  // Batches of this step an earlier command left unfinished (it died, or the database did): resume them.
  const unfinished = (await unfinishedBatchesOfStep(engine.store, name, step)).filter((b) => b.dueAt <= engine.clock.now());
  let total = unfinished.length ? await unsettledOf(engine, name, step) : 0;
  // Batches run as soon as planning queues them: the first ones go out while the rest is planned,
  // so `onTotal` grows with each batch queued.
  await engine.scheduler.start({ recurring: false, onlyBatches: true });
  if (total > 0) onTotal(total);
  let report;
  try {
    for (const b of unfinished) await engine.scheduler.scheduleBatch(b.id, engine.clock.now());
    report = await engine.scheduler.plan(campaign, { now: engine.clock.now(), forceStep: step }, (n) => { total += n; onTotal(total); });
  } catch (err) {
    await engine.scheduler.stop();
    throw err;
  }
  onTotal(total);
  if (report.created === 0 && unfinished.length === 0) {
    await engine.scheduler.stop();
    const already = await countSendsOfStep(engine.store, name, step);
    return `${name}/${step}: nothing new to send (${already} member(s) already have it; every send is recorded once).\n`;
  }
  await drain(engine);
  const repaired = unfinished.length && options.afterResume ? await options.afterResume(name, step) : '';
  const all = await resultCountsOfStep(engine.store, name, step);
  const resumed = unfinished.length ? `resumed ${unfinished.length} unfinished batch(es) of an earlier send${repaired ? ` (${repaired})` : ''}; ` : '';
  return `${name}/${step}: ${resumed}${report.created} new send(s) queued; sent ${all.sent ?? 0}, failed ${all.failed ?? 0}, skipped ${all.skipped ?? 0}, retrying later ${all.retrying ?? 0}.\n`;
}

