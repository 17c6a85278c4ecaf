// When a campaign next has something to do, for `flywheel campaigns list` and CampaignState.nextRunAt.
// Member-relative kinds (drip, renewal, case study) run on every scheduler tick: undefined.
import { kindOf } from './kinds/index.ts';
import type { LoadedCampaign } from './types.ts';

export function nextRunAt(campaign: LoadedCampaign, now: Date): Date | undefined {
  const next = kindOf(campaign.definition).nextRun(campaign.definition, now);
  return next === 'continuous' ? undefined : next;
}
