// Applicant messages: one send per application event (received, needs-info, awarded,
// declined) of the campaign's program, keyed by the event id, so a second "needs more
// information" is a second message and a re-planned event never a duplicate. Transactional:
// no topic, no marketing cap. Pure, like every kind.
import type { ApplicationCampaign } from '../campaigns/types.ts';
import { durationMs } from './time.ts';
import type { Candidate, PlanContext, PlannerApplicationEvent } from './types.ts';

const FINAL = new Set(['awarded', 'declined']);

/** `program`: what templates read as `program` (the program applied to, not the member's current one). */
export function applicationCandidates(def: ApplicationCampaign, ctx: PlanContext, program?: { id: string; name: string; url: string }): Candidate[] {
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
}
