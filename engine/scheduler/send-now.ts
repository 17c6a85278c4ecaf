// An engine operation: send one step of a campaign to its whole audience now, whatever its
// schedule (`flywheel send`, the demo). Members who already have it are skipped by key.
import type { Clock } from '../clock.ts';
import type { Store } from '../store/index.ts';
import type { LoadedCampaign } from '../campaigns/index.ts';
import { InvalidInputError } from '../errors.ts';
import { countSendsOfStep, resultCountsOfStep } from '../ledger/index.ts';
import { drain, type DrainParts } from './drain.ts';

export interface SendNowParts extends DrainParts {
  campaigns: readonly LoadedCampaign[];
  clock: Clock;
  store: Store;
}

/** Plan `step` of campaign `name` for everyone now, send it, and describe what happened. */
export async function sendNow(engine: SendNowParts, name: string, stepArg: string | undefined, onTotal: (n: number) => void = () => {}): Promise<string> {
  const campaign = engine.campaigns.find((c) => c.name === name);
  if (!campaign) {
    throw new InvalidInputError('CAMPAIGN_UNKNOWN', `No campaign named "${name}".`, [{ message: `known campaigns: ${engine.campaigns.map((c) => c.name).join(', ')}` }]);
  }
  const step = stepArg ?? campaign.steps[0];
  if (!step || !campaign.steps.includes(step)) {
    throw new InvalidInputError('STEP_UNKNOWN', `Campaign "${name}" has no step "${stepArg}".`, [{ subject: name, message: `steps: ${campaign.steps.join(', ')}` }]);
  }
  const report = await engine.scheduler.plan(campaign, { now: engine.clock.now(), forceStep: step });
  onTotal(report.created);
  if (report.created === 0) {
    const already = await countSendsOfStep(engine.store, name, step);
    return `${name}/${step}: nothing new to send (${already} member(s) already have it; every send is recorded once).\n`;
  }
  await drain(engine);
  const all = await resultCountsOfStep(engine.store, name, step);
  return `${name}/${step}: ${report.created} new send(s) queued; sent ${all.sent ?? 0}, failed ${all.failed ?? 0}, skipped ${all.skipped ?? 0}, retrying later ${all.retrying ?? 0}.\n`;
}

