// Broadcast: one message at one time, an instant or a local time in each member's zone.
import { z } from 'zod';
import { DAY_MS, durationMs, instantOrLocal, zoneOf } from '../time.ts';
import type { Candidate, PlanContext } from '../plan-types.ts';
import { base, message, topicSchema } from '../schema.ts';
import type { BroadcastCampaign } from '../types.ts';
import type { CampaignKindModule } from './types.ts';

const schema = z
  .object({
    ...base,
    ...message,
    kind: z.literal('broadcast'),
    at: z.string().refine((v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v) && !Number.isNaN(Date.parse(v)), 'must be an ISO date-time'),
    topic: topicSchema.optional(),
  })
  .strict();

function broadcastCandidates(def: BroadcastCampaign, ctx: PlanContext): Candidate[] {
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

export const broadcast: CampaignKindModule<BroadcastCampaign> = {
  kind: 'broadcast',
  description: 'one message at one time (an instant, or a local time in each member\'s zone)',
  schema,
  messages: (def) => [{ step: 'send', path: '', spec: def }],
  topic: (def) => def.topic,
  candidates: broadcastCandidates,
  nextRun: (def, now) => {
    const at = instantOrLocal(def.at, 'Pacific/Kiritimati'); // earliest zone on Earth
    return at > now ? at : undefined;
  },
  recheckAtSend: 'no',
  sampleFrom: (def) => new Date(instantOrLocal(def.at, 'UTC').getTime() - DAY_MS),
};
