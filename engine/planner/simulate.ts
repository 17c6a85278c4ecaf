// The dry run behind `flywheel plan`: run dueSends on a virtual clock that jumps from one
// interesting instant to the next (a candidate's due time, a member change), recording
// each send in a simulated history so branches, digests and RSVPs play out. Pure.
import type { LoadedCampaign } from '../campaigns/types.ts';
import { DAY_MS } from '../campaigns/time.ts';
import { candidates, dueSends } from './due.ts';
import type { MemberHistory, PlannedSend, PlannerContentItem, PlannerMember } from '../campaigns/plan-types.ts';

export interface MemberChange {
  at: Date;
  memberId: string;
  /** fields to overwrite from `at` on, e.g. a renewal: `{ expiresAt: next year }` */
  set: Partial<PlannerMember>;
}

export interface SimulateInput {
  campaign: LoadedCampaign;
  members: readonly PlannerMember[];
  content: readonly PlannerContentItem[];
  from: Date;
  days: number;
  /** does this member open this step? (opens are recorded one hour after the send) */
  opens?: (memberId: string, step: string) => boolean;
  /** the member's RSVP answer, recorded as soon as the invite is sent */
  rsvp?: (memberId: string) => 'yes' | 'no' | undefined;
  changes?: readonly MemberChange[];
}

const OPEN_DELAY_MS = 3_600_000;

/** Every send the campaign would make in [from, from + days), in time order. `dueAt` is when the simulated send happens. */
export function simulate(input: SimulateInput): PlannedSend[] {
  const end = new Date(input.from.getTime() + input.days * DAY_MS);
  const out: PlannedSend[] = [];
  for (const original of input.members) {
    const id = String(original._id);
    let member: PlannerMember = original;
    const changes = (input.changes ?? []).filter((c) => c.memberId === id).sort((a, b) => a.at.getTime() - b.at.getTime());
    const history: MemberHistory = { sends: [] };
    let now = input.from;
    for (let guard = 0; guard < 100_000; guard++) {
      while (changes[0] && changes[0].at <= now) member = { ...member, ...changes.shift()!.set };
      for (const send of dueSends({ campaign: input.campaign, member, history, content: input.content, now })) {
        out.push({ ...send, dueAt: now });
        const opened = input.opens?.(id, send.step) ?? false;
        history.sends.push({
          step: send.step,
          occurrence: send.occurrence,
          status: 'sent',
          sentAt: now,
          payload: send.data,
          ...(opened ? { firstOpenedAt: new Date(now.getTime() + OPEN_DELAY_MS) } : {}),
        });
        if (send.step === 'invite') {
          const answer = input.rsvp?.(id);
          if (answer) history.rsvp = answer;
        }
      }
      const wakes = candidates(input.campaign, { member, history, content: input.content, now, horizon: end })
        .map((c) => c.dueAt.getTime())
        .filter((t) => t > now.getTime());
      if (changes[0]) wakes.push(changes[0].at.getTime());
      const next = Math.min(...wakes);
      if (!Number.isFinite(next) || next >= end.getTime()) break;
      now = new Date(next);
    }
  }
  return out.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.email.localeCompare(b.email) || a.step.localeCompare(b.step));
}
