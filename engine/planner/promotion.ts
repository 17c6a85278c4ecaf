// Case-study promotion: each new content item carrying one of the campaign's tags is
// promoted once (occurrence = item guid) to members of the item's programs.
import type { CaseStudyCampaign } from '../campaigns/types.ts';
import { durationMs } from './time.ts';
import type { Candidate, PlanContext } from './types.ts';

export function promotionCandidates(def: CaseStudyCampaign, ctx: PlanContext): Candidate[] {
  const maxAge = durationMs(def.maxAge, 30);
  const stale = durationMs(def.staleAfter, 7);
  const out: Candidate[] = [];
  for (const item of ctx.content) {
    if (!def.tags.some((t) => item.tags?.includes(t))) continue;
    if (item.programs?.length && !item.programs.includes(ctx.member.program)) continue;
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
