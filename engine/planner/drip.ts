// Drip: steps at delays after the member's entry date (e.g. awardedAt), in the member's
// zone; engagement branches run `within` after the step they watch was sent.
import { matchesSegment } from '../audience/match.ts';
import type { DripCampaign } from '../campaigns/types.ts';
import { durationMs, shift, zoneOf } from './time.ts';
import type { Candidate, PlanContext } from './types.ts';

export function dripCandidates(def: DripCampaign, ctx: PlanContext): Candidate[] {
  const { member, history, now } = ctx;
  const entryAt = member[def.entry.on];
  if (!(entryAt instanceof Date)) return [];
  if (def.entry.when && !matchesSegment(def.entry.when.node, member, now)) return [];
  if (def.exit && matchesSegment(def.exit.node, member, now)) return [];
  const zone = zoneOf(member.timezone);
  const stale = durationMs(def.staleAfter, 7);
  const out: Candidate[] = [];
  for (const step of def.steps) {
    let dueAt: Date;
    if (step.branch) {
      const watched = history.sends.find((s) => s.step === step.branch!.step && s.occurrence === '' && s.status === 'sent' && s.sentAt);
      if (!watched?.sentAt) continue;
      const deadline = shift(watched.sentAt, step.branch.within, 1, zone);
      const engagedAt = step.branch.did === 'opened' || step.branch.did === 'notOpened' ? watched.firstOpenedAt : watched.firstClickedAt;
      const engagedInTime = engagedAt instanceof Date && engagedAt <= deadline;
      const wantsEngaged = step.branch.did === 'opened' || step.branch.did === 'clicked';
      // Either way the branch is decided at the deadline: dueSends only returns it once now >= deadline.
      if (wantsEngaged !== engagedInTime) continue;
      dueAt = step.at ? shift(deadline, {}, 1, zone, step.at, deadline) : deadline;
    } else {
      dueAt = shift(entryAt, step.after ?? {}, 1, zone, step.at, entryAt);
    }
    out.push({
      step: step.id,
      occurrence: '',
      dueAt,
      until: new Date(dueAt.getTime() + stale),
      spec: step,
      data: { ...step.data },
      topic: def.topic,
      category: 'marketing',
    });
  }
  return out;
}
