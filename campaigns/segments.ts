// Named segments shared by the campaigns in this folder. `flywheel segments count NAME`
// previews any of them. Segments are data built with `where`, `and`, `or`, `not`.
import { and, defineSegment, not, where } from '../engine/campaigns/index.ts';

/** Members in good standing: active, never churned. */
export const activeMembers = defineSegment('active-members', where.status('active'));

/** Active members of the programs that renew every year. */
export const yearlyPrograms = defineSegment('yearly-programs', where.program('education', 'open-source', 'startups'));

/** Contributors who have engaged with any email in the last 90 days. */
export const engagedContributors = defineSegment(
  'engaged-contributors',
  and(where.program('contributor'), where.status('active'), where.openedAnyWithin(90)),
);

/** Startups with a team of 10 or more seats, not emailed this week. */
export const largeStartups = defineSegment(
  'large-startups',
  and(where.program('startups'), where.attribute('seats', 'gte', 10), not(where.hasAnyTag('do-not-contact')), where.notEmailedWithin(7)),
);

/** Education members awarded in the last 30 days. */
export const newEducators = defineSegment('new-educators', and(where.program('education'), where.withinLast('awardedAt', 30)));
