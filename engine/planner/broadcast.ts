// Broadcast: one message at one moment (an absolute instant, or a local time in each member's zone).
import type { BroadcastCampaign } from '../campaigns/types.ts';
import { durationMs, instantOrLocal, zoneOf } from './time.ts';
import type { Candidate, PlanContext } from './types.ts';

export function broadcastCandidates(def: BroadcastCampaign, ctx: PlanContext): Candidate[] {
  const dueAt = instantOrLocal(def.at, zoneOf(ctx.member.timezone));
  return [
    {
      step: 'send',
      occurrence: '',
      dueAt,
      until: new Date(dueAt.getTime() + durationMs(def.staleAfter, 2)),
      spec: def,
      data: { ...def.data },
      topic: def.topic,
      category: 'marketing',
    },
  ];
}
