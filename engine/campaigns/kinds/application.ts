// Applicant messages: one send per application event (received, needs-info, awarded,
// declined) of the campaign's program, keyed by the event id, so a second "needs more
// information" is a second message and a re-planned event never a duplicate. Transactional:
// no topic, no marketing cap.
import { z } from 'zod';
import { programView } from '../../audience/programs.ts';
import { DAY_MS, durationMs } from '../time.ts';
import type { Candidate, PlannerApplicationEvent } from '../plan-types.ts';
import { base, message } from '../schema.ts';
import { APPLICATION_STEPS, type ApplicationCampaign } from '../types.ts';
import type { CampaignKindModule } from './types.ts';

const FINAL = new Set(['awarded', 'declined']);

const schema = z
  .object({
    ...base,
    kind: z.literal('application'),
    program: z.string().min(1, 'program is required: whose applicants get these messages'),
    messages: z
      .object({ received: z.object(message).strict(), 'needs-info': z.object(message).strict(), awarded: z.object(message).strict(), declined: z.object(message).strict() })
      .partial()
      .strict()
      .refine((m) => Object.keys(m).length > 0, 'declare at least one of received, needs-info, awarded, declined'),
  })
  .strict();

export const application: CampaignKindModule<ApplicationCampaign> = {
  kind: 'application',
  description: 'transactional messages to a program\'s applicants, one per application event (received, needs-info, awarded, declined)',
  schema,
  messages: (def) => APPLICATION_STEPS.filter((s) => def.messages[s]).map((s) => ({ step: s, path: `messages.${s}`, spec: def.messages[s]! })),
  topic: () => undefined,
  candidates: (def, ctx) => {
    // templates read the program applied to, not the member's current one
    const program = programView(ctx.programs, def.program);
    const events = (ctx.member.applicationEvents ?? []).filter((e): e is PlannerApplicationEvent & { id: string; at: Date; type: string } =>
      e.program === def.program && typeof e.id === 'string' && e.at instanceof Date && typeof e.type === 'string');
    const stale = durationMs(def.staleAfter, 7);
    const out: Candidate[] = [];
    const seen = new Set<string>();
    for (const e of events) {
      // concurrent writers may append the same event twice (updates are not atomic everywhere): its id is its identity
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      const spec = def.messages[e.type as keyof ApplicationCampaign['messages']];
      if (!spec) continue;
      // decided the moment it arrived (a rule): the decision is the only message worth sending
      if (e.type === 'received' && events.some((d) => d.application === e.application && FINAL.has(d.type) && d.at.getTime() === e.at.getTime())) continue;
      out.push({
        step: e.type,
        occurrence: e.id,
        dueAt: e.at,
        until: new Date(e.at.getTime() + stale),
        spec,
        data: { ...(program ? { program } : {}), ...spec.data, application: { id: e.application ?? '', program: def.program, reason: e.reason ?? '', dueDate: e.dueDate ?? '' } },
        category: 'transactional',
      });
    }
    return out;
  },
  nextRun: () => 'continuous',
  recheckAtSend: 'no',
  programRefs: (def) => [{ path: 'program', program: def.program }],
  // only people with an event of this program's applications inside the stale window; dotted
  // paths, not $elemMatch (which FerretDB lacks): looser, and the planner checks each event exactly
  audience: (def, now) => ({ 'applicationEvents.program': def.program, 'applicationEvents.at': { $gte: new Date(now.getTime() - durationMs(def.staleAfter, 7)) } }),
  // one application that went through every step, a day apart, so each message has sample data
  sampleMember: (def, at) => ({
    program: def.program,
    applicationEvents: APPLICATION_STEPS.map((type, i) => ({
      id: `app-sample:${type}`, application: 'app-sample', program: def.program, type, at: new Date(at.getTime() + i * DAY_MS),
      reason: type === 'received' ? undefined : 'A sample reason.', dueDate: 'Friday 18 January 2030',
    })),
  }),
};
