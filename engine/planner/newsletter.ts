// Recurring newsletter: each cron occurrence (in a named zone or the member's own) is an
// issue; its digest holds content items the member has not been sent by this campaign yet.
import { DateTime } from 'luxon';
import type { NewsletterCampaign } from '../campaigns/types.ts';
import { cronOccurrences, durationMs, issueGranularity, issueKey, zoneOf, type IssueGranularity } from './time.ts';
import type { Candidate, MemberHistory, PlanContext, PlannerContentItem } from './types.ts';

const granularities = new Map<string, IssueGranularity>();

function granularityOf(cron: string): IssueGranularity {
  let g = granularities.get(cron);
  if (!g) granularities.set(cron, (g = issueGranularity(cron)));
  return g;
}

/** Guids already sent (or on their way) to this member by this campaign. */
export function itemsAlreadySent(history: MemberHistory): Set<string> {
  const ids = new Set<string>();
  for (const s of history.sends) {
    if (s.status === 'cancelled' || s.status === 'failed' || s.status === 'skipped') continue;
    const itemIds = (s.payload as { itemIds?: unknown } | undefined)?.itemIds;
    if (Array.isArray(itemIds)) for (const id of itemIds) if (typeof id === 'string') ids.add(id);
  }
  return ids;
}

/** Newest-first digest for one issue: published before it, inside the lookback, for the member's program. */
export function digestItems(def: NewsletterCampaign, program: string, issueAt: Date, content: readonly PlannerContentItem[], sent: ReadonlySet<string>): PlannerContentItem[] {
  const oldest = issueAt.getTime() - durationMs(def.digest.lookback, 90);
  return content
    .filter((item) => item.publishedAt <= issueAt && item.publishedAt.getTime() >= oldest)
    .filter((item) => !item.programs?.length || item.programs.includes(program))
    .filter((item) => !def.digest.tags?.length || def.digest.tags.some((t) => item.tags?.includes(t)))
    .filter((item) => !sent.has(item.guid))
    .sort((a, b) => b.publishedAt.getTime() - a.publishedAt.getTime() || a.guid.localeCompare(b.guid))
    .slice(0, def.digest.maxItems);
}

export function newsletterCandidates(def: NewsletterCampaign, ctx: PlanContext): Candidate[] {
  const zone = def.schedule.timezone === 'member' ? zoneOf(ctx.member.timezone) : def.schedule.timezone;
  const stale = durationMs(def.staleAfter, 3);
  const from = new Date(ctx.now.getTime() - stale);
  const issues = cronOccurrences(def.schedule.cron, zone, from, ctx.horizon);
  const sent = itemsAlreadySent(ctx.history);
  const granularity = granularityOf(def.schedule.cron);
  const issuesSent = ctx.history.sends.filter((s) => s.step === 'issue' && s.status === 'sent').length;
  const out: Candidate[] = [];
  issues.forEach((issueAt, i) => {
    const next = issues[i + 1];
    const items = digestItems(def, ctx.member.program, issueAt, ctx.content, sent);
    if (items.length === 0 && def.digest.skipIfEmpty !== false) return;
    const issue = issueKey(issueAt, zone, granularity);
    out.push({
      step: 'issue',
      occurrence: issue,
      dueAt: issueAt,
      until: new Date(Math.min(issueAt.getTime() + stale, next?.getTime() ?? Infinity)),
      spec: def,
      data: {
        ...def.data,
        // issue number counts this member's issues so far (deterministic from history)
        issue: { ...(asObject(def.data?.issue)), key: issue, date: issueAt.toISOString(), number: issuesSent + 1 },
        itemIds: items.map((i) => i.guid),
        items: items.map((i) => ({
          guid: i.guid,
          title: i.title,
          url: i.url,
          summary: i.summary ?? '',
          tag: i.tags?.[0] ?? '',
          meta: DateTime.fromJSDate(i.publishedAt, { zone }).setLocale('en').toFormat('d LLL yyyy'),
          image: i.imageUrl ?? '',
          imageAlt: i.imageAlt ?? '',
          publishedAt: i.publishedAt.toISOString(),
        })),
      },
      topic: 'newsletter',
      category: 'marketing',
    });
  });
  return out;
}

function asObject(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
