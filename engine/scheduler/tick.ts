// One campaign tick, proportional to what is due: the pairs whose next due time came since the
// last tick (the due index) and the members whose inputs changed (planning marks) are planned;
// nothing else is read. A campaign is planned in full (its whole audience, and every member's
// next due time filed again) when the index cannot serve it: the first tick, a new, changed or
// resumed definition, new content for kinds that read it, a bulk member update, or an audience
// that depends on other campaigns' send logs. Members are read once per tick.
import type { Logger } from 'pino';
import type { LoadedCampaign } from '../campaigns/index.ts';
import { kindOf } from '../campaigns/index.ts';
import type { PlannerMember } from '../planner/index.ts';
import { needsFullPlanning } from '../planner/next-due.ts';
import type { Store } from '../store/index.ts';
import { findEachById } from '../store/by-id.ts';
import { storedId } from '../store/member-id.ts';
import { readPlanningMarks, savePlanningMarksCursor } from '../store/plan-marks.ts';
import { fileDue, loadDueIndexState, readDue, saveDueIndexState, type DueEntry } from './due-index.ts';
import { planCampaign, planMembers, type PlanDeps, type PlanOutcome } from './plan.ts';

export interface CampaignTick {
  campaign: LoadedCampaign;
  outcome: PlanOutcome;
  mode: 'full' | 'due';
}

/** Members by id, each read by its `_id` (store/by-id.ts), so a tick's cost follows the members due, not the members stored. Erased or deleted ids are simply absent. */
export async function membersByIds(store: Store, ids: readonly string[]): Promise<PlannerMember[]> {
  const found = await findEachById(store.models.Member.collection, ids.map(storedId));
  return found.filter((m) => m !== null) as unknown as PlannerMember[];
}

/** Plan the active campaigns at `now` from the due index; returns what each campaign planned. */
export async function tickCampaigns(deps: PlanDeps & { log: Logger }, campaigns: readonly LoadedCampaign[], now: Date): Promise<CampaignTick[]> {
  const { store, log } = deps;
  const db = store.db;
  const state = await loadDueIndexState(db);
  // the clock went back (a test, a restored backup): nothing in the index can be trusted
  const fresh = !state || now.getTime() < state.lastTickAt.getTime();
  const marks = await readPlanningMarks(db, fresh ? undefined : state.marksCursor);
  const due = fresh ? [] : await readDue(db, state.lastTickAt, now);
  const readsContent = (c: LoadedCampaign) => !!kindOf(c.definition).content?.(c.definition);
  const inFull = (c: LoadedCampaign) =>
    fresh || marks.allMembers || state.versions[c.name] !== c.version || needsFullPlanning(c) || (marks.content && readsContent(c));

  // members: everyone once when a campaign is planned in full, else only those due or marked
  const fullCampaigns = campaigns.filter(inFull);
  const everyone = fullCampaigns.length ? ((await store.models.Member.find({}).lean()) as unknown as PlannerMember[]) : undefined;
  const wanted = new Map<string, Set<string>>();
  for (const e of due) {
    const set = wanted.get(e.campaign) ?? new Set<string>();
    set.add(e.memberId);
    wanted.set(e.campaign, set);
  }
  const byId = new Map((everyone ?? []).map((m) => [String(m._id), m]));
  if (!everyone) {
    const ids = new Set(marks.members);
    for (const set of wanted.values()) for (const id of set) ids.add(id);
    if (ids.size) for (const m of await membersByIds(store, [...ids])) byId.set(String(m._id), m);
  }

  const results: CampaignTick[] = [];
  const filed: DueEntry[] = [];
  const versions: Record<string, string> = {};
  for (const campaign of campaigns) {
    try {
      let outcome: PlanOutcome;
      let mode: CampaignTick['mode'];
      if (inFull(campaign)) {
        outcome = await planCampaign(deps, campaign, { now }, everyone);
        mode = 'full';
      } else {
        const ids = new Set([...(wanted.get(campaign.name) ?? []), ...marks.members]);
        const members = [...ids].map((id) => byId.get(id)).filter((m): m is PlannerMember => !!m);
        outcome = await planMembers(deps, campaign, members, now);
        mode = 'due';
      }
      filed.push(...outcome.due);
      versions[campaign.name] = campaign.version;
      results.push({ campaign, outcome, mode });
    } catch (err) {
      // One broken campaign must not stop the others. It keeps no version, so the next tick
      // plans it in full and files its members again: nothing read from the index is lost.
      log.error({ err, campaign: campaign.name }, 'planning failed');
    }
  }
  await fileDue(db, filed, now);
  // Sends just planned need no mark: a pending send only holds its key (fewer candidates, never
  // an earlier one); once it is sent, the sender's mark re-plans the member (branches, reminders).
  await saveDueIndexState(db, { lastTickAt: now, versions, marksCursor: marks.next });
  await savePlanningMarksCursor(db, marks.next);
  return results;
}
