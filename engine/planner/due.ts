// What is due for one member of one campaign at `now`: the kind's candidates, minus what
// history already holds (any status: the send-log key exists), minus stale or superseded
// ones, for members who may still receive this campaign at all.
import { matchesSegment } from '../audience/match.ts';
import { sendlogNodes } from '../audience/compile.ts';
import { programOffers, programView } from '../audience/programs.ts';
import type { LoadedCampaign } from '../campaigns/types.ts';
import { kindOf } from '../campaigns/kinds/index.ts';
import type { Candidate, MemberHistory, PlanContext, PlannedSend, PlannerContentItem, PlannerMember } from '../campaigns/plan-types.ts';

/** Gate shared by every kind: erased, globally unsubscribed, outside the audience. */
export function mayReceive(campaign: LoadedCampaign, member: PlannerMember, now: Date): boolean {
  if (member.erasedAt || member.unsubscribedAt) return false;
  const audience = campaign.definition.audience?.node;
  // campaign-scoped engagement is resolved by audienceFilter in the database, not here
  if (audience && sendlogNodes(audience).length === 0 && !matchesSegment(audience, member, now)) return false;
  return true;
}

/** Every send the campaign would make for this member up to `ctx.horizon`, given its history so far. */
export function candidates(campaign: LoadedCampaign, ctx: PlanContext): Candidate[] {
  if (!mayReceive(campaign, ctx.member, ctx.now)) return [];
  const def = campaign.definition;
  const list = kindOf(def).candidates(def, { ...ctx, campaign: campaign.name, ...(campaign.programs ? { programs: campaign.programs } : {}) });
  const { member } = ctx;
  const topics = member.topics ?? {};
  const held = new Set(ctx.history.sends.map((s) => `${s.step}\u0000${s.occurrence}`));
  // templates read the member's own program (campaigns/programs.ts); a step's own `program` data wins
  const program = programView(campaign.programs, member.program);
  return list
    .filter((c) => (!c.topic || (topics[c.topic] !== false && programOffers(campaign.programs, member.program, c.topic))) && !held.has(`${c.step}\u0000${c.occurrence}`))
    .map((c) => (program ? { ...c, data: { program, ...c.data } } : c));
}

export function toPlannedSend(campaign: LoadedCampaign, member: PlannerMember, c: Candidate, dueAt = c.dueAt): PlannedSend {
  return {
    campaign: campaign.name,
    step: c.step,
    occurrence: c.occurrence,
    memberId: String(member._id),
    email: member.email,
    program: member.program,
    dueAt,
    template: c.spec.template,
    subject: c.spec.subject,
    ...(c.spec.preheader !== undefined ? { preheader: c.spec.preheader } : {}),
    category: c.category,
    ...(c.topic ? { topic: c.topic } : {}),
    data: c.data,
    ...(c.attachments ? { attachments: c.attachments } : {}),
  };
}

export interface DueInput {
  campaign: LoadedCampaign;
  member: PlannerMember;
  history: MemberHistory;
  content: readonly PlannerContentItem[];
  delivered?: ReadonlySet<string>;
  now: Date;
}

/**
 * Sends due now for this member: deterministic, and idempotent by key (a send already in
 * `history`, whatever its status, is never returned again). Stale or superseded sends are dropped.
 */
export function dueSends(input: DueInput): PlannedSend[] {
  const { campaign, member, now } = input;
  const t = now.getTime();
  return candidates(campaign, { ...input, horizon: now })
    .filter((c) => c.dueAt.getTime() <= t && t < c.until.getTime())
    .map((c) => toPlannedSend(campaign, member, c));
}
