// When a (campaign, member) pair next needs planning, so a tick can read only what is due
// (the due index). Pure: the same candidates `dueSends` uses, asked with a far horizon, plus
// every instant at which a time-relative segment (audience, drip entry/exit) can change its
// answer for this member. Waking early is harmless (planning finds nothing and asks again);
// waking late would lose a send, so every bound here errs early.
import type { LoadedCampaign } from '../campaigns/types.ts';
import { kindOf } from '../campaigns/kinds/index.ts';
import type { PlannerMember } from '../campaigns/plan-types.ts';
import type { SegmentNode } from '../audience/segment.ts';
import { sendlogNodes } from '../audience/compile.ts';
import { candidates, type DueInput } from './due.ts';

const DAY_MS = 86_400_000;
/** horizons tried in turn: most pairs have something within days; escalating keeps cron kinds cheap */
const HORIZON_DAYS = [2, 35, 400] as const;
/** even with nothing ahead, look again after this long (cron kinds beyond the last horizon) */
export const RECHECK_AFTER_MS = 400 * DAY_MS;

/** The same facts dueSends plans from: both must see one member the same way. */
export type NextDueInput = DueInput;

/**
 * Does planning this campaign depend on other campaigns' send logs (an audience such as
 * "opened campaign X")? Those are resolved in the database, not per member: such a campaign
 * is planned in full on every tick instead of through the due index.
 */
export function needsFullPlanning(campaign: LoadedCampaign): boolean {
  const audience = campaign.definition.audience?.node;
  return !!audience && sendlogNodes(audience).length > 0;
}

/** The segments whose answer for a member can change with time alone. */
function segmentsOf(campaign: LoadedCampaign): SegmentNode[] {
  const def = campaign.definition;
  const nodes = def.audience ? [def.audience.node] : [];
  for (const c of kindOf(def).conditions?.(def) ?? []) nodes.push(c.node);
  return nodes;
}

function dateField(member: PlannerMember, field: string): number | undefined {
  const v = (member as unknown as Record<string, unknown>)[field];
  return v instanceof Date ? v.getTime() : undefined;
}

/** Instants at which a segment's answer for this member may flip (both sides of each boundary). */
export function segmentFlips(node: SegmentNode, member: PlannerMember, out: number[] = []): number[] {
  const edge = (t: number | undefined) => {
    if (t !== undefined && Number.isFinite(t)) out.push(t, t + 1);
  };
  switch (node.op) {
    case 'relativeDate': {
      const d = dateField(member, node.field);
      if (d === undefined) break;
      const span = node.days * DAY_MS;
      edge(d);
      edge(d + span);
      edge(d - span);
      break;
    }
    case 'engaged': {
      const d = node.campaign ? undefined : dateField(member, node.action === 'opened' ? 'lastOpenedAt' : 'lastClickedAt');
      if (d !== undefined) edge(d + node.withinDays * DAY_MS);
      break;
    }
    case 'notEmailed': {
      const d = dateField(member, 'lastEmailedAt');
      if (d !== undefined) edge(d + node.withinDays * DAY_MS);
      break;
    }
    case 'and':
    case 'or':
      for (const n of node.of) segmentFlips(n, member, out);
      break;
    case 'not':
      segmentFlips(node.of, member, out);
      break;
    default:
      break;
  }
  return out;
}

/**
 * The earliest instant after `now` at which this pair may have a send due, or a segment it
 * depends on may change; at most RECHECK_AFTER_MS ahead. A send already due at `now` (not yet
 * in the history) gives `now + 1 ms`: the next tick plans it.
 */
export function nextDueAt(input: NextDueInput): Date {
  const t = input.now.getTime();
  let best = t + RECHECK_AFTER_MS;
  for (const node of segmentsOf(input.campaign)) {
    for (const p of segmentFlips(node, input.member)) if (p > t && p < best) best = p;
  }
  // A kind that reads content has nothing new to send beyond its window after the newest item
  // (only new content, which marks every pair changed, can give it more): look no further.
  const needs = kindOf(input.campaign.definition).content?.(input.campaign.definition);
  if (needs) {
    let newest = t;
    for (const c of input.content) newest = Math.max(newest, c.publishedAt.getTime(), c.createdAt?.getTime() ?? 0);
    best = Math.min(best, newest + needs.lookbackDays * DAY_MS + 1);
  }
  for (const days of HORIZON_DAYS) {
    const horizon = Math.min(t + days * DAY_MS, best);
    let first = Infinity;
    for (const c of candidates(input.campaign, { ...input, horizon: new Date(horizon) })) {
      if (c.until.getTime() <= t) continue;
      first = Math.min(first, Math.max(c.dueAt.getTime(), t + 1));
    }
    if (first <= horizon || horizon >= best || days === HORIZON_DAYS[HORIZON_DAYS.length - 1]) {
      best = Math.min(best, first);
      break;
    }
  }
  return new Date(best);
}
