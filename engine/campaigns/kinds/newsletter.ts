// Newsletter: one issue per cron occurrence (in a fixed zone or each member's own), a digest
// of content items not sent to this member before, newest first, for the member's program.
import { DateTime } from 'luxon';
import { z } from 'zod';
import { CronExpressionParser } from 'cron-parser';
import { cronOccurrences, DAY_MS, durationMs, issueGranularity, issueKey, zoneOf, type IssueGranularity } from '../time.ts';
import { luxonZone } from '../zone.ts';
import type { Candidate, MemberHistory, PlanContext, PlannerContentItem } from '../plan-types.ts';
import { base, durationSchema, message, zone as zoneSchema } from '../schema.ts';
import type { NewsletterCampaign } from '../types.ts';
import type { CampaignKindModule } from './types.ts';

const schema = z
  .object({
    ...base,
    ...message,
    kind: z.literal('newsletter'),
    schedule: z
      .object({
        cron: z.string().superRefine((v, ctx) => {
          if (v.trim().split(/\s+/).length !== 5) return void ctx.addIssue({ code: 'custom', message: 'cron must have 5 fields: minute hour day-of-month month day-of-week' });
          try {
            CronExpressionParser.parse(v, { currentDate: 0, tz: 'UTC' });
          } catch (e) {
            ctx.addIssue({ code: 'custom', message: `bad cron expression: ${(e as Error).message}` });
          }
        }),
        timezone: z.union([z.literal('member'), zoneSchema]),
      })
      .strict(),
    digest: z
      .object({
        maxItems: z.number().int().positive(),
        tags: z.array(z.string()).optional(),
        lookback: durationSchema.optional(),
        skipIfEmpty: z.boolean().optional(),
      })
      .strict(),
  })
  .strict();

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

function newsletterCandidates(def: NewsletterCampaign, ctx: PlanContext): Candidate[] {
  const zone = def.schedule.timezone === 'member' ? zoneOf(ctx.member.timezone) : def.schedule.timezone;
  const stale = durationMs(def.staleAfter, 3);
  const from = new Date(ctx.now.getTime() - stale);
  const issues = cronOccurrences(def.schedule.cron, zone, from, ctx.horizon);
  const sent = itemsAlreadySent(ctx.history);
  // items another campaign (or an earlier issue) already gave this member
  for (const guid of ctx.delivered ?? []) sent.add(guid);
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
          meta: DateTime.fromJSDate(i.publishedAt, { zone: luxonZone(zone) }).setLocale('en').toFormat('d LLL yyyy'),
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

export const newsletter: CampaignKindModule<NewsletterCampaign> = {
  kind: 'newsletter',
  description: 'a digest of new content items on a cron schedule (a fixed zone or each member\'s own)',
  schema,
  messages: (def) => [{ step: 'issue', path: '', spec: def }],
  topic: () => 'newsletter',
  candidates: newsletterCandidates,
  nextRun: (def, now) => {
    const zone = def.schedule.timezone === 'member' ? 'Pacific/Kiritimati' : def.schedule.timezone; // earliest zone on Earth
    return cronOccurrences(def.schedule.cron, zone, now, new Date(now.getTime() + 400 * DAY_MS))[0];
  },
  recheckAtSend: 'no',
  // an issue still due (within staleAfter) digests items from its own lookback
  content: (def) => ({ lookbackDays: Math.ceil((durationMs(def.digest.lookback, 90) + durationMs(def.staleAfter, 3)) / DAY_MS), ...(def.digest.tags?.length ? { tags: def.digest.tags } : {}) }),
};
