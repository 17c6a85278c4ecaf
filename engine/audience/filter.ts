// Segment and campaign audiences as member filters, against the database. Campaign-scoped
// engagement is two-phase: phase one reads matching send-log records (firstOpenedAt /
// firstClickedAt within N days) and collects member ids; phase two compiles the segment
// with those ids as `_id: { $in: [...] }`. FerretDB has no $lookup, so no join is possible.
import { kindOf } from '../campaigns/kinds/index.ts';
import type { LoadedCampaign } from '../campaigns/types.ts';
import type { Store } from '../store/index.ts';
import type { Topic } from '../store/models.ts';
import { programsOffering } from './programs.ts';
import { membersWhoEngaged } from '../ledger/index.ts';
import { compileSegment, sendlogNodeKey, sendlogNodes, type MemberFilter } from './compile.ts';
import type { SegmentNode } from './segment.ts';

const DAY_MS = 86_400_000;

/** The member filter for a segment at `now`, resolving campaign engagement from the send log. */
export async function segmentFilter(store: Store, node: SegmentNode, now: Date): Promise<MemberFilter> {
  const resolved = new Map<string, unknown[]>();
  for (const n of sendlogNodes(node)) {
    const key = sendlogNodeKey(n);
    if (resolved.has(key)) continue;
    const since = new Date(now.getTime() - n.withinDays * DAY_MS);
    resolved.set(key, await membersWhoEngaged(store, n.campaign!, n.action, since, now));
  }
  return compileSegment(node, now, resolved);
}

/** The topic a member must be subscribed to for this campaign, if any (renewal notices have none). */
export function campaignTopic(campaign: LoadedCampaign): Topic | undefined {
  return kindOf(campaign.definition).topic(campaign.definition);
}

/** Members who may receive this campaign at `now`: its audience, in a program that sends its topic and opted in to it, not unsubscribed, not erased. */
export async function audienceFilter(store: Store, campaign: LoadedCampaign, now: Date): Promise<MemberFilter> {
  const clauses: MemberFilter[] = [{ unsubscribedAt: null }, { erasedAt: null }];
  const topic = campaignTopic(campaign);
  if (topic) clauses.push({ [`topics.${topic}`]: { $ne: false } });
  // only members of programs that send this topic (campaigns/programs.ts)
  if (topic && campaign.programs) clauses.push({ program: { $in: programsOffering(campaign.programs, topic) } });
  // a kind may narrow its audience itself (applicant messages: people with a recent application event)
  const own = kindOf(campaign.definition).audience?.(campaign.definition, now);
  if (own) clauses.push(own);
  const node = campaign.definition.audience?.node;
  if (node) clauses.push(await segmentFilter(store, node, now));
  return { $and: clauses };
}
