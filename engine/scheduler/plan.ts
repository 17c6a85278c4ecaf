// I/O around the pure planner: read the audience, history and content for a campaign,
// ask the planner what is due, and record it (records, payloads, batches).
import type { Store } from '../store/index.ts';
import { kindOf, type LoadedCampaign } from '../campaigns/index.ts';
import { audienceFilter } from '../audience/index.ts';
import { dueSends, candidates, type MemberHistory, type PlannedSend, type PlannerContentItem, type PlannerMember } from '../planner/index.ts';
import { toPlannedSend } from '../planner/due.ts';
import { enqueuePlanned, type EnqueueResult } from './enqueue.ts';
import { claimContentForSends } from './content-claims.ts';
import { deliveredSince, recentItems } from '../content/index.ts';
import { campaignSends, sendsDueSince } from '../ledger/index.ts';
import { earliestSendTime, frequencyCapDecision, SEVEN_DAYS_MS, type FrequencyCap, type SendWindow, type SentEmail } from '../planner/send-timing.ts';

export interface PlanDeps {
  store: Store;
  batchSize: number;
  messageIdDomain: string;
  /** per-member cap on marketing email; max 0 = none */
  frequencyCap: FrequencyCap;
}

export interface PlanScope {
  now: Date;
  /** "send now": plan this step for the whole audience at `now`, whatever its schedule */
  forceStep?: string;
}

export async function planCampaign(deps: PlanDeps, campaign: LoadedCampaign, scope: PlanScope): Promise<EnqueueResult & { planned: number }> {
  const { store } = deps;
  const filter = await audienceFilter(store, campaign, scope.now);
  const members = (await store.models.Member.find(filter).lean()) as unknown as PlannerMember[];
  if (members.length === 0) return { planned: 0, created: 0, existing: 0, batchIds: [] };

  const [history, { content, delivered }] = await Promise.all([loadHistory(store, campaign.name), contentFor(store, campaign, scope.now)]);
  let planned: PlannedSend[] = [];
  for (const member of members) {
    const h = history.get(String(member._id)) ?? { sends: [] };
    const had = delivered.get(String(member._id));
    if (scope.forceStep) {
      const horizon = new Date(scope.now.getTime() + 400 * 86_400_000);
      const first = candidates(campaign, { member, history: h, content, delivered: had, now: scope.now, horizon })
        .filter((c) => c.step === scope.forceStep)
        .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())[0];
      if (first) planned.push(toPlannedSend(campaign, member, first, scope.now));
    } else {
      planned.push(...dueSends({ campaign, member, history: h, content, delivered: had, now: scope.now }));
    }
  }
  if (content.length) planned = await claimContentForSends(store, planned, new Map(content.map((c) => [c.guid, c.publishedAt])), scope.now);
  const byId = new Map(members.map((m) => [String(m._id), m]));
  await applyTiming(deps, campaign.definition.sendWindow, planned, byId, scope.now);
  const result = await enqueuePlanned(store, planned, { batchSize: deps.batchSize, messageIdDomain: deps.messageIdDomain, members: byId });
  return { planned: planned.length, ...result };
}

/** Every send-log record of the campaign, grouped by member, with engagement and RSVP answers. */
export async function loadHistory(store: Store, campaign: string): Promise<Map<string, MemberHistory>> {
  const [sends, rsvps] = await Promise.all([
    campaignSends(store, campaign),
    store.models.Event.find({ campaign, type: 'rsvp' }, { data: 1, at: 1 }).sort({ at: 1 }).lean(),
  ]);
  const out = new Map<string, MemberHistory>();
  for (const { memberId, ...send } of sends) {
    const h = out.get(memberId) ?? { sends: [] };
    h.sends.push(send);
    out.set(memberId, h);
  }
  // the latest answer wins
  for (const e of rsvps) {
    const data = e.data as { memberId?: string; answer?: 'yes' | 'no' } | undefined;
    if (!data?.memberId || !data.answer) continue;
    const h = out.get(data.memberId) ?? { sends: [] };
    h.rsvp = data.answer;
    out.set(data.memberId, h);
  }
  return out;
}

function capOnly(history: readonly SentEmail[], category: string, cap: FrequencyCap, at: Date): Date {
  const decision = frequencyCapDecision(history, category, cap, at);
  return decision.allowed ? at : decision.nextAllowedAt;
}

/**
 * Move each send to the first moment its member's send window is open and the frequency cap
 * allows it. Pure decisions (engine/planner/send-timing.ts) over the member's recent sends, which
 * include sends planned but not yet out, so one tick cannot overbook a member.
 */
async function applyTiming(deps: PlanDeps, window: SendWindow | undefined, planned: PlannedSend[], members: Map<string, PlannerMember>, now: Date): Promise<void> {
  const capped = deps.frequencyCap.max > 0 && planned.some((p) => !deps.frequencyCap.exemptCategories.includes(p.category));
  if (!window && !capped) return;
  const recent = new Map<string, SentEmail[]>();
  if (capped) {
    for (const r of await sendsDueSince(deps.store, new Date(now.getTime() - SEVEN_DAYS_MS))) {
      const list = recent.get(r.memberId) ?? [];
      list.push({ sentAt: r.dueAt, category: r.category });
      recent.set(r.memberId, list);
    }
  }
  const cap = capped ? deps.frequencyCap : { ...deps.frequencyCap, max: Number.MAX_SAFE_INTEGER };
  for (const p of planned) {
    const history = recent.get(p.memberId) ?? [];
    const zone = members.get(p.memberId)?.timezone || 'UTC';
    // Without a window only the cap can move a send (and luxon's zone arithmetic is skipped).
    p.dueAt = window
      ? earliestSendTime({ window, zone, cap, history, category: p.category }, p.dueAt)
      : capOnly(history, p.category, cap, p.dueAt);
    history.push({ sentAt: p.dueAt, category: p.category });
    recent.set(p.memberId, history);
  }
}

/**
 * The content a campaign's planner can use: nothing for kinds without content, else the items
 * of the kind's window and, per member, the items any campaign already gave them.
 */
export async function contentFor(store: Store, campaign: LoadedCampaign, now: Date): Promise<{ content: PlannerContentItem[]; delivered: Map<string, Set<string>> }> {
  const since = contentSince(campaign, now);
  if (!since) return { content: [], delivered: new Map() };
  const [content, delivered] = await Promise.all([recentItems(store, since), deliveredSince(store, since)]);
  return { content, delivered };
}

/** Start of the content window a campaign's kind reads, or undefined when it reads no content. */
export function contentSince(campaign: LoadedCampaign, now: Date): Date | undefined {
  const needs = kindOf(campaign.definition).content?.(campaign.definition);
  return needs ? new Date(now.getTime() - needs.lookbackDays * 86_400_000) : undefined;
}
