// Renewal reminders: steps before/after the member's current expiry. The occurrence is the
// expiry date, so a renewal (new expiresAt) ends the old cycle at once: its remaining
// reminders are no longer candidates, and the new cycle's start a year later.
import { z } from 'zod';
import { durationMs, localDate, shift, zoneOf } from '../time.ts';
import { localDayNumber } from '../zone.ts';
import type { Candidate, PlanContext } from '../plan-types.ts';
import { base, durationSchema, localTime, message, stepId } from '../schema.ts';
import type { RenewalCampaign } from '../types.ts';
import type { CampaignKindModule } from './types.ts';

const schema = z
  .object({
    ...base,
    kind: z.literal('renewal'),
    steps: z
      .array(z.object({ ...message, id: stepId, before: durationSchema.optional(), after: durationSchema.optional(), at: localTime.optional() }).strict())
      .min(1, 'a renewal series needs at least one step'),
    /** a renewal within this many days after a reminder is that step's conversion (reports) */
    attributionDays: z.number().int('must be a whole number of days').min(1).max(365).optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    const seen = new Set<string>();
    d.steps.forEach((s, i) => {
      if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `duplicate step id "${s.id}"` });
      seen.add(s.id);
      if (!!s.before === !!s.after) ctx.addIssue({ code: 'custom', path: ['steps', i], message: 'a renewal step needs exactly one of `before` or `after` (expiry)' });
    });
  });

function renewalCandidates(def: RenewalCampaign, ctx: PlanContext): Candidate[] {
  const { member } = ctx;
  const expiresAt = member.expiresAt;
  if (!(expiresAt instanceof Date) || member.status === 'churned' || member.status === 'applied') return [];
  const zone = zoneOf(member.timezone);
  const cycle = localDate(expiresAt, zone);
  const stale = durationMs(def.staleAfter, 7);
  const planned = def.steps
    .map((step) => ({ step, dueAt: step.before ? shift(expiresAt, step.before, -1, zone, step.at) : shift(expiresAt, step.after ?? {}, 1, zone, step.at) }))
    .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  return planned.map(({ step, dueAt }, i) => {
    // a reminder is superseded by the next one: a member met late gets only the latest
    const next = planned[i + 1]?.dueAt.getTime() ?? Infinity;
    return {
      step: step.id,
      occurrence: cycle,
      dueAt,
      until: new Date(Math.min(dueAt.getTime() + stale, next)),
      spec: step,
      data: { ...step.data, expiresAt: expiresAt.toISOString(), expiresOn: cycle, daysLeft: daysBetween(dueAt, expiresAt, zone), expired: dueAt >= expiresAt },
      category: 'transactional' as const,
    };
  });
}

/** Calendar days from `from` to `to` in the member's zone (negative once expired). */
function daysBetween(from: Date, to: Date, zone: string): number {
  return localDayNumber(to, zone) - localDayNumber(from, zone);
}

export const renewal: CampaignKindModule<RenewalCampaign> = {
  kind: 'renewal',
  description: 'reminders before and after each member\'s expiry; a renewal ends the series at once',
  schema,
  messages: (def) => def.steps.map((s, i) => ({ step: s.id, path: `steps[${i}]`, spec: s })),
  // renewal notices are transactional: no topic to opt out of
  topic: () => undefined,
  candidates: renewalCandidates,
  nextRun: () => 'continuous',
  // a member who renewed after the reminder was planned must not get it
  recheckAtSend: 'member',  reportsAs: 'renewal-reminder',
};
