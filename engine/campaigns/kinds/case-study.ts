// Case-study promotion: each content item carrying one of the campaign's tags is promoted
// once to each member (of the item's programs) while it is fresh.
import { z } from 'zod';
import { DAY_MS, durationMs } from '../time.ts';
import type { Candidate, PlanContext } from '../plan-types.ts';
import { base, durationSchema, message } from '../schema.ts';
import type { CaseStudyCampaign } from '../types.ts';
import type { CampaignKindModule } from './types.ts';

const schema = z
  .object({ ...base, ...message, kind: z.literal('case-study'), tags: z.array(z.string().min(1)).min(1), maxAge: durationSchema.optional() })
  .strict();

function promotionCandidates(def: CaseStudyCampaign, ctx: PlanContext): Candidate[] {
  const maxAge = durationMs(def.maxAge, 30);
  const stale = durationMs(def.staleAfter, 7);
  const out: Candidate[] = [];
  for (const item of ctx.content) {
    if (!def.tags.some((t) => item.tags?.includes(t))) continue;
    if (item.programs?.length && !item.programs.includes(ctx.member.program)) continue;
    // once per member: not when another campaign (a digest, another promotion) already gave it
    if (ctx.delivered?.has(item.guid)) continue;
    const appeared = Math.max(item.publishedAt.getTime(), item.createdAt?.getTime() ?? 0);
    out.push({
      step: 'promote',
      occurrence: item.guid,
      dueAt: new Date(appeared),
      until: new Date(Math.min(appeared + stale, item.publishedAt.getTime() + maxAge)),
      spec: def,
      data: {
        ...def.data,
        itemIds: [item.guid],
        // `study` is what templates/case-study.mjml reads; static data may add company, quote, metrics
        study: {
          company: '',
          quote: '',
          quoteAuthor: '',
          quoteRole: '',
          metrics: [],
          ...(def.data?.study && typeof def.data.study === 'object' ? def.data.study : {}),
          guid: item.guid,
          title: item.title,
          url: item.url,
          summary: item.summary ?? '',
          image: item.imageUrl ?? '',
          imageAlt: item.imageAlt ?? '',
          tags: item.tags ?? [],
        },
      },
      topic: 'caseStudies',
      category: 'marketing',
    });
  }
  return out;
}

export const caseStudy: CampaignKindModule<CaseStudyCampaign> = {
  kind: 'case-study',
  description: 'promotes each new content item with one of its tags, once per member, while fresh',
  schema,
  messages: (def) => [{ step: 'promote', path: '', spec: def }],
  topic: () => 'caseStudies',
  candidates: promotionCandidates,
  nextRun: () => 'continuous',
  recheckAtSend: 'no',
  content: (def) => ({ lookbackDays: Math.ceil(durationMs(def.maxAge, 30) / DAY_MS), tags: def.tags }),  reportsAs: 'case-study-promotion',
};
