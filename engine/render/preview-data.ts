// Data for `flywheel preview CAMPAIGN STEP --member EMAIL`: a stored member plus the data
// the planner gives that member for that step, shaped as one render request. Choosing the
// step's candidate is pure (previewCandidate); loadMemberPreview does the reads.
import { kindOf, type LoadedCampaign } from '../campaigns/index.ts';
import { systemClock, type Clock } from '../clock.ts';
import { FlywheelError } from '../errors.ts';
import { candidates, mayReceive, type MemberHistory, type PlannerContentItem, type PlannerMember } from '../planner/index.ts';
import { deliveredTo, recentItems } from '../content/index.ts';
import type { Store } from '../store/index.ts';
import type { MemberView } from './types.ts';
import { memberView } from './member-view.ts';

/** Everything needed to render one message for one member. */
export interface PreviewMessage {
  template: string;
  subject: string;
  preheader?: string;
  data: Record<string, unknown>;
  member: MemberView;
}

/** Looks up a real member and the step's real data (database + campaign definitions). */
export type MemberPreviewLoader = (args: { campaign: string; step?: string; email: string }) => Promise<PreviewMessage>;

type Candidate = ReturnType<typeof candidates>[number];

const HORIZON_MS = 366 * 86_400_000;
const OPEN_DELAY_MS = 3_600_000;

/** The member fields templates see, from a stored member document. */
export function memberViewOf(doc: PlannerMember): MemberView {
  return memberView({ ...doc, id: String(doc._id) });
}

/**
 * The planner's candidate for `step`, whatever its due time (the one nearest `now` when the
 * step recurs). Steps that only follow another send (an engagement branch, an event reminder
 * or day-before note) are reached by playing the earlier steps as sent, once without and once
 * with engagement (open, click, RSVP yes). History is otherwise empty: the preview shows the
 * step as the planner would build it, not whether it is still due.
 */
export function previewCandidate(campaign: LoadedCampaign, member: PlannerMember, content: readonly PlannerContentItem[], step: string, now: Date, delivered?: ReadonlySet<string>): Candidate | undefined {
  const base = { member, content, delivered, now, horizon: new Date(now.getTime() + HORIZON_MS) };
  for (const engaged of [false, true]) {
    const history: MemberHistory = { sends: [], ...(engaged ? { rsvp: 'yes' as const } : {}) };
    for (let round = 0; round <= campaign.steps.length; round++) {
      const list = candidates(campaign, { ...base, history });
      const hit = nearest(list.filter((c) => c.step === step), now);
      if (hit) return hit;
      // play each step not played yet (its first candidate) as sent, then ask again
      const played = new Set(history.sends.map((s) => s.step));
      const next: Candidate[] = [];
      for (const c of list) {
        if (played.has(c.step)) continue;
        played.add(c.step);
        next.push(c);
      }
      if (next.length === 0) break;
      for (const c of next) {
        const reaction = engaged ? { firstOpenedAt: new Date(c.dueAt.getTime() + OPEN_DELAY_MS), firstClickedAt: new Date(c.dueAt.getTime() + OPEN_DELAY_MS) } : {};
        history.sends.push({ step: c.step, occurrence: c.occurrence, status: 'sent', sentAt: c.dueAt, payload: c.data, ...reaction });
      }
    }
  }
  return undefined;
}

/** The next occurrence at or after `now` (a newsletter's next issue); else the latest one before it. */
function nearest(list: Candidate[], now: Date): Candidate | undefined {
  const upcoming = list.filter((c) => c.dueAt >= now).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())[0];
  if (upcoming) return upcoming;
  const distance = (c: Candidate) => Math.abs(c.dueAt.getTime() - now.getTime());
  return list.reduce<Candidate | undefined>((best, c) => (!best || distance(c) < distance(best) ? c : best), undefined);
}

/** What the loader reads from; the caller (main.ts wiring) opens and closes the store. */
export interface MemberPreviewDeps {
  store: Store;
  campaigns: () => Promise<readonly LoadedCampaign[]>;
  clock?: Clock;
}

export function createMemberPreviewLoader(deps: MemberPreviewDeps): MemberPreviewLoader {
  return async ({ campaign: name, step, email }) => {
    const campaigns = await deps.campaigns();
    const campaign = campaigns.find((c) => c.name === name);
    if (!campaign) {
      throw new FlywheelError('PREVIEW_UNKNOWN_CAMPAIGN', `No campaign named "${name}" (campaigns: ${campaigns.map((c) => c.name).join(', ') || 'none'}).`);
    }
    const stepId = step ?? (campaign.steps.length === 1 ? campaign.steps[0]! : undefined);
    if (stepId === undefined || !campaign.steps.includes(stepId)) {
      throw new FlywheelError('PREVIEW_UNKNOWN_STEP',
        `${stepId === undefined ? `Campaign "${name}" has several steps; name one` : `Campaign "${name}" has no step "${stepId}"`} (steps: ${campaign.steps.join(', ')}).`);
    }
    const now = (deps.clock ?? systemClock).now();
    const { member, content, delivered } = await readMemberAndContent(deps.store, campaign, email, now);

    const candidate = previewCandidate(campaign, member, content, stepId, now, delivered);
    if (!candidate) {
      if (!mayReceive(campaign, member, now)) {
        throw new FlywheelError('PREVIEW_NOT_IN_AUDIENCE',
          `Member ${member.email} would not receive "${name}": outside its audience, unsubscribed or erased.`);
      }
      throw new FlywheelError('PREVIEW_STEP_NOT_PLANNED',
        `The planner has no "${stepId}" of "${name}" for ${member.email}.`,
        { hint: 'Check the member fields the step starts from (e.g. awardedAt, expiresAt), their topic preferences, and, for digests and case studies, that matching content exists.' });
    }
    return {
      template: candidate.spec.template,
      subject: candidate.spec.subject,
      ...(candidate.spec.preheader !== undefined ? { preheader: candidate.spec.preheader } : {}),
      data: candidate.data,
      member: memberViewOf(member),
    };
  };
}

async function readMemberAndContent(store: Store, campaign: LoadedCampaign, email: string, now: Date): Promise<{ member: PlannerMember; content: PlannerContentItem[]; delivered?: Set<string> }> {
  const address = email.trim().toLowerCase();
  const member = (await store.models.Member.findOne({ email: address }).lean()) as PlannerMember | null;
  if (!member) {
    throw new FlywheelError('PREVIEW_MEMBER_NOT_FOUND', `No member with the email address ${address}.`,
      { hint: 'Check the spelling, or import the member first.' });
  }
  // only kinds that read content (digests, promotions) get it, and only their window; the items this
  // member already has (from any campaign) are left out, so a newsletter preview shows the real next issue
  const needs = kindOf(campaign.definition).content?.(campaign.definition);
  if (!needs) return { member, content: [] };
  const since = new Date(now.getTime() - needs.lookbackDays * 86_400_000);
  const [content, delivered] = await Promise.all([recentItems(store, since), deliveredTo(store, String(member._id), since)]);
  return { member, content, delivered };
}
