// I/O around the pure planner: read the audience, history and content for a campaign,
// ask the planner what is due, and record it (records, payloads, batches).
import type { Store } from '../store/index.ts';
import { kindOf, type LoadedCampaign } from '../campaigns/index.ts';
import { audienceFilter } from '../audience/index.ts';
import type { Types } from 'mongoose';
import { dueSends, candidates, mayReceive, type MemberHistory, type PlannedSend, type PlannerContentItem, type PlannerMember } from '../planner/index.ts';
import { needsFullPlanning, nextDueAt } from '../planner/next-due.ts';
import type { DueEntry } from './due-index.ts';
import { toPlannedSend } from '../planner/due.ts';
import { BatchWriter, type EnqueueResult } from './enqueue.ts';
import { claimContentForSends } from './content-claims.ts';
import { deliveredSince, recentItems } from '../content/index.ts';
import { campaignSends, sendsDueSince } from '../ledger/index.ts';
import { earliestSendTime, frequencyCapDecision, SEVEN_DAYS_MS, type FrequencyCap, type SentEmail } from '../planner/send-timing.ts';

export interface PlanDeps {
  store: Store;
  batchSize: number;
  messageIdDomain: string;
  /** per-member cap on marketing email; max 0 = none */
  frequencyCap: FrequencyCap;
  /** batches as soon as they are written: queue them, and sending starts while planning goes on */
  onBatches?(batches: Array<{ id: string; dueAt: Date; recipients: number }>): Promise<void>;
}

export interface PlanScope {
  now: Date;
  /** "send now": plan this step for the whole audience at `now`, whatever its schedule */
  forceStep?: string;
}

export interface PlanOutcome extends EnqueueResult {
  planned: number;
  /** when each pair planned here next needs planning (with `nextDue`) */
  due: DueEntry[];
}

/** Members planned (and their batches written) at a time when the audience is read from the database. */
const AUDIENCE_CHUNK = 1000;

/**
 * Plan the whole audience of a campaign (the full replan: a new or changed definition, or a
 * campaign the due index cannot serve). With `everyone`, also file the next due time of every
 * member, in the audience today or not: time-relative audiences let members in later. Members
 * already read are gated in memory, with the test planMembers uses, instead of read again per
 * campaign; only audiences that depend on send logs still need the database's filter. The
 * audience read from the database is streamed: memory follows a chunk and a batch, not the audience.
 */
export async function planCampaign(deps: PlanDeps, campaign: LoadedCampaign, scope: PlanScope, everyone?: readonly PlannerMember[]): Promise<PlanOutcome> {
  const { store } = deps;
  const inMemory = everyone && !needsFullPlanning(campaign);
  const chunks: AsyncIterable<PlannerMember[]> = inMemory
    ? inChunks(everyone.filter((m) => mayReceive(campaign, m, scope.now)))
    : inChunks(store.models.Member.find(await audienceFilter(store, campaign, scope.now)).lean().cursor({ batchSize: AUDIENCE_CHUNK }) as AsyncIterable<unknown> as AsyncIterable<PlannerMember>);
  const iterator = chunks[Symbol.asyncIterator]();
  const head = await iterator.next();
  if (head.done && !everyone?.length) return { planned: 0, created: 0, existing: 0, batchIds: [], due: [] };
  const [history, { content, delivered }] = await Promise.all([loadHistory(store, campaign.name), contentFor(store, campaign, scope.now)]);
  const planning = new Planning(deps, campaign, { history, content, delivered }, scope, !!everyone);
  for (let next = head; !next.done; next = await iterator.next()) await planning.plan(next.value);
  const outcome = await planning.finish();
  const due = everyone ? dueEntries(campaign, everyone, { history, content, delivered }, planning.plannedSends, scope.now) : [];
  return { ...outcome, due };
}

/**
 * Plan only these members (their next due time came, or their inputs changed): their history
 * alone is read, and content only when the kind reads it. Files their next due times.
 */
export async function planMembers(deps: PlanDeps, campaign: LoadedCampaign, members: readonly PlannerMember[], now: Date): Promise<PlanOutcome> {
  const { store } = deps;
  if (members.length === 0) return { planned: 0, created: 0, existing: 0, batchIds: [], due: [] };
  const [history, { content, delivered }] = await Promise.all([loadHistory(store, campaign.name, members.map((m) => m._id as Types.ObjectId)), contentFor(store, campaign, now)]);
  // the same gate the database filter applies in a full replan (candidates re-checks it exactly)
  const planning = new Planning(deps, campaign, { history, content, delivered }, { now }, true);
  for await (const chunk of inChunks(members.filter((m) => mayReceive(campaign, m, now)))) await planning.plan(chunk);
  const outcome = await planning.finish();
  const due = dueEntries(campaign, members, { history, content, delivered }, planning.plannedSends, now);
  return { ...outcome, due };
}

interface PlanInputs {
  members: readonly PlannerMember[];
  history: Map<string, MemberHistory>;
  content: PlannerContentItem[];
  delivered: Map<string, Set<string>>;
}

/** Members in chunks of AUDIENCE_CHUNK, from an array or a database cursor alike. */
async function* inChunks(members: Iterable<PlannerMember> | AsyncIterable<PlannerMember>): AsyncIterable<PlannerMember[]> {
  let chunk: PlannerMember[] = [];
  for await (const member of members) {
    chunk.push(member);
    if (chunk.length >= AUDIENCE_CHUNK) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

/**
 * One plan of one campaign, fed the audience a chunk at a time: what is due for each member,
 * content claims, send windows and the frequency cap, then batches written as they fill.
 * The cap's view of recent sends is read once per plan and kept up to date in memory.
 */
class Planning {
  private planned = 0;
  private recent?: Map<string, SentEmail[]>;
  private readonly writer: BatchWriter;
  private readonly contentDates: Map<string, Date>;
  /** sends planned here, kept only when the caller files next due times from them */
  readonly plannedSends: PlannedSend[] = [];

  constructor(
    private readonly deps: PlanDeps,
    private readonly campaign: LoadedCampaign,
    private readonly inputs: Omit<PlanInputs, 'members'>,
    private readonly scope: PlanScope,
    private readonly keepPlanned: boolean,
  ) {
    this.writer = new BatchWriter(deps.store, { batchSize: deps.batchSize, messageIdDomain: deps.messageIdDomain, onBatches: deps.onBatches });
    this.contentDates = new Map(inputs.content.map((c) => [c.guid, c.publishedAt]));
  }

  async plan(members: readonly PlannerMember[]): Promise<void> {
    const { campaign, scope } = this;
    const { history, content, delivered } = this.inputs;
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
    if (planned.length === 0) return;
    if (content.length) planned = await claimContentForSends(this.deps.store, planned, this.contentDates, scope.now);
    const byId = new Map(members.map((m) => [String(m._id), m]));
    await this.applyTiming(planned, byId);
    this.planned += planned.length;
    if (this.keepPlanned) this.plannedSends.push(...planned);
    await this.writer.add(planned, byId);
  }

  async finish(): Promise<EnqueueResult & { planned: number }> {
    return { planned: this.planned, ...(await this.writer.finish()) };
  }

  /**
   * Move each send to the first moment its member's send window is open and the frequency cap
   * allows it. Pure decisions (engine/planner/send-timing.ts) over the member's recent sends, which
   * include sends planned but not yet out, so one plan cannot overbook a member.
   */
  private async applyTiming(planned: PlannedSend[], members: Map<string, PlannerMember>): Promise<void> {
    const { deps } = this;
    const window = this.campaign.definition.sendWindow;
    const capped = deps.frequencyCap.max > 0 && planned.some((p) => !deps.frequencyCap.exemptCategories.includes(p.category));
    if (!window && !capped) return;
    if (capped && !this.recent) this.recent = await recentSends(deps.store, this.scope.now);
    const recent = this.recent ?? new Map<string, SentEmail[]>();
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
}

/** Each member's sends due in the cap's window (planned or out), read once per plan. */
async function recentSends(store: Store, now: Date): Promise<Map<string, SentEmail[]>> {
  const recent = new Map<string, SentEmail[]>();
  for (const r of await sendsDueSince(store, new Date(now.getTime() - SEVEN_DAYS_MS))) {
    const list = recent.get(r.memberId) ?? [];
    list.push({ sentAt: r.dueAt, category: r.category });
    recent.set(r.memberId, list);
  }
  return recent;
}

/** Next due time of each member, their history counting what was just planned (pending). */
function dueEntries(campaign: LoadedCampaign, members: readonly PlannerMember[], inputs: Omit<PlanInputs, 'members'>, planned: readonly PlannedSend[], now: Date): DueEntry[] {
  if (needsFullPlanning(campaign)) return [];
  const justPlanned = new Map<string, PlannedSend[]>();
  for (const p of planned) justPlanned.set(p.memberId, [...(justPlanned.get(p.memberId) ?? []), p]);
  const out: DueEntry[] = [];
  for (const member of members) {
    const id = String(member._id);
    const h = inputs.history.get(id) ?? { sends: [] };
    const extra = justPlanned.get(id);
    const history = extra ? { ...h, sends: [...h.sends, ...extra.map((p) => ({ step: p.step, occurrence: p.occurrence, status: 'pending', payload: p.data }))] } : h;
    const at = nextDueAt({ campaign, member, history, content: inputs.content, delivered: inputs.delivered.get(id), now }).getTime();
    out.push({ campaign: campaign.name, memberId: id, at });
  }
  return out;
}

/** Every send-log record of the campaign (or of some members), grouped by member, with engagement and RSVP answers. */
export async function loadHistory(store: Store, campaign: string, memberIds?: readonly Types.ObjectId[]): Promise<Map<string, MemberHistory>> {
  const ids = memberIds?.map(String);
  const [sends, rsvps] = await Promise.all([
    campaignSends(store, campaign, memberIds),
    store.models.Event.find(ids ? { campaign, type: 'rsvp', 'data.memberId': { $in: ids } } : { campaign, type: 'rsvp' }, { data: 1, at: 1 }).sort({ at: 1 }).lean(),
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
