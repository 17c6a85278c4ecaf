// Runtime validation of campaign definitions (the edge: files written by people, possibly
// in plain JS or with casts): the pieces every kind shares. Each kind's own schema lives in
// its module (kinds/<kind>.ts). Every issue carries a dotted path such as `steps[1].after.days`.
import { z } from 'zod';
import { IANAZone } from 'luxon';
import { MEMBER_DATE_FIELDS, type SegmentNode } from '../audience/segment.ts';
import { MEMBER_STATUSES, TOPICS } from '../store/models.ts';

export const topicSchema = z.enum(TOPICS, { error: (i) => `unknown topic ${JSON.stringify(i.input)} (topics: ${TOPICS.join(', ')})` });

export const zone = z.string().refine((v) => IANAZone.isValidZone(v), { message: 'unknown time zone (use an IANA name such as "Europe/Berlin")' });
export const nonNegative = (what: string) => z.number({ error: `${what} must be a number` }).finite().nonnegative({ error: `${what} must not be negative` });

export const durationSchema = z
  .object({ days: nonNegative('days').optional(), hours: nonNegative('hours').optional(), minutes: nonNegative('minutes').optional() })
  .strict();

export const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be "HH:mm" (00:00-23:59)');
export const localDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'must be a local date-time "YYYY-MM-DDTHH:mm" (no offset)');
const isoDate = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO date such as "2026-01-31"');
// program names are checked against the declared programs after parsing (programs.ts)
const program = z.string().min(1, 'program name must not be empty');
const attrValue = z.union([z.string(), z.number(), z.boolean()]);

export const segmentNodeSchema: z.ZodType<SegmentNode> = z.lazy(() =>
  z.discriminatedUnion(
    'op',
    [
      z.object({ op: z.literal('everyone') }).strict(),
      z.object({ op: z.literal('program'), in: z.array(program).min(1) }).strict(),
      z.object({ op: z.literal('status'), in: z.array(z.enum(MEMBER_STATUSES, { error: (i) => `unknown status ${JSON.stringify(i.input)}` })).min(1) }).strict(),
      z.object({ op: z.literal('tags'), match: z.enum(['any', 'all']), tags: z.array(z.string().min(1)).min(1) }).strict(),
      z.object({ op: z.literal('country'), in: z.array(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code such as "DE"')).min(1) }).strict(),
      z.object({ op: z.literal('timezone'), in: z.array(zone).min(1) }).strict(),
      z.object({ op: z.literal('date'), field: memberDateField(), cmp: z.enum(['before', 'after']), at: isoDate }).strict(),
      z
        .object({ op: z.literal('relativeDate'), field: memberDateField(), cmp: z.enum(['withinLast', 'moreThanAgo', 'withinNext', 'moreThanAhead']), days: nonNegative('days') })
        .strict(),
      z
        .object({
          op: z.literal('attribute'),
          key: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'attribute key must be letters, digits, _ and dots'),
          cmp: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'exists']),
          value: z.union([attrValue, z.array(attrValue)]).optional(),
        })
        .strict(),
      z.object({ op: z.literal('engaged'), action: z.enum(['opened', 'clicked']), campaign: z.string().min(1).optional(), withinDays: nonNegative('withinDays') }).strict(),
      z.object({ op: z.literal('notEmailed'), withinDays: nonNegative('withinDays') }).strict(),
      z.object({ op: z.literal('and'), of: z.array(segmentNodeSchema) }).strict(),
      z.object({ op: z.literal('or'), of: z.array(segmentNodeSchema) }).strict(),
      z.object({ op: z.literal('not'), of: segmentNodeSchema }).strict(),
    ],
    { error: (i) => (i.code === 'invalid_union' ? `unknown segment operator ${JSON.stringify((i.input as { op?: unknown })?.op)}` : undefined) },
  ),
);

function memberDateField() {
  return z.enum(MEMBER_DATE_FIELDS, { error: (i) => `unknown segment field ${JSON.stringify(i.input)} (date fields: ${MEMBER_DATE_FIELDS.join(', ')})` });
}

export const segment = z.object({ node: segmentNodeSchema, name: z.string().optional() });
export const memberOnlySegment = segment.superRefine((s, ctx) => {
  if (JSON.stringify(s.node).includes('"campaign"')) ctx.addIssue({ code: 'custom', message: 'entry/exit conditions cannot use campaign engagement (only member fields)' });
});

export const message = {
  template: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'template must be a name like "onboarding-welcome" (templates/<name>.mjml)'),
  subject: z.string().min(1, 'subject must not be empty'),
  preheader: z.string().optional(),
  data: z.record(z.string(), z.json()).optional(),
};

export const base = {
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'campaign name must be lower-case letters, digits and dashes'),
  description: z.string().optional(),
  audience: segment.optional(),
  staleAfter: durationSchema.optional(),
  sendWindow: z
    .object({
      days: z.array(z.number().int().min(1, 'days are ISO weekdays 1 (Monday) to 7 (Sunday)').max(7, 'days are ISO weekdays 1 (Monday) to 7 (Sunday)')).min(1, 'a send window needs at least one day'),
      start: localTime,
      end: localTime,
    })
    .strict()
    .optional(),
};

export const stepId = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'step id must be lower-case letters, digits and dashes');

/** `['steps', 1, 'after']` -> `steps[1].after` */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}
