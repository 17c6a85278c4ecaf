// What campaign files call. `defineCampaign` only returns its argument: its job is the
// type checking (step ids referenced by branches must exist, programs and kinds are
// closed sets); runtime validation happens when the loader reads the file.
import type { CampaignDefinition, DripCampaign, Duration } from './types.ts';

type NotDrip = Exclude<CampaignDefinition, DripCampaign>;

/** Declare a campaign; `export default defineCampaign({...})` from a file in campaigns/. */
export function defineCampaign<const Id extends string>(def: DripCampaign<Id> | NotDrip): CampaignDefinition {
  return def as CampaignDefinition;
}

export const days = (n: number): Duration => ({ days: n });
export const hours = (n: number): Duration => ({ hours: n });
export const minutes = (n: number): Duration => ({ minutes: n });
