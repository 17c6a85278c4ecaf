// Runtime validation of campaign definitions (the edge: files written by people, possibly
// in plain JS or with casts). Every issue carries a dotted path such as `steps[1].after.days`.
import { z } from 'zod';
import { IANAZone } from 'luxon';
import { CronExpressionParser } from 'cron-parser';
import { MEMBER_DATE_FIELDS, type SegmentNode } from '../audience/segment.ts';
import { MEMBER_STATUSES, TOPICS } from '../store/models.ts';

const zone = z.string().refine((v) => IANAZone.isValidZone(v), { message: 'unknown time zone (use an IANA name such as "Europe/Berlin")' });
const nonNegative = (what: string) => z.number({ error: `${what} must be a number` }).finite().nonnegative({ error: `${what} must not be negative` });

export const durationSchema = z
  .object({ days: nonNegative('days').optional(), hours: nonNegative('hours').optional(), minutes: nonNegative('minutes').optional() })
  .strict();

const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be "HH:mm" (00:00-23:59)');
const localDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'must be a local date-time "YYYY-MM-DDTHH:mm" (no offset)');
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

const segment = z.object({ node: segmentNodeSchema, name: z.string().optional() });
const memberOnlySegment = segment.superRefine((s, ctx) => {
  if (JSON.stringify(s.node).includes('"campaign"')) ctx.addIssue({ code: 'custom', message: 'entry/exit conditions cannot use campaign engagement (only member fields)' });
});

const message = {
  template: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'template must be a name like "onboarding-welcome" (templates/<name>.mjml)'),
  subject: z.string().min(1, 'subject must not be empty'),
  preheader: z.string().optional(),
  data: z.record(z.string(), z.json()).optional(),
};

const base = {
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

const stepId = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'step id must be lower-case letters, digits and dashes');

const drip = z
  .object({
    ...base,
    kind: z.literal('drip'),
    entry: z.object({ on: z.enum(['appliedAt', 'awardedAt', 'createdAt'], { error: (i) => `unknown entry field ${JSON.stringify(i.input)}` }), when: memberOnlySegment.optional() }).strict(),
    exit: memberOnlySegment.optional(),
    topic: z.enum(TOPICS).optional(),
    steps: z
      .array(
        z
          .object({
            ...message,
            id: stepId,
            after: durationSchema.optional(),
            at: localTime.optional(),
            branch: z.object({ step: z.string(), did: z.enum(['opened', 'clicked', 'notOpened', 'notClicked']), within: durationSchema }).strict().optional(),
          })
          .strict(),
      )
      .min(1, 'a drip needs at least one step'),
  })
  .strict()
  .superRefine((d, ctx) => {
    const seen = new Set<string>();
    d.steps.forEach((s, i) => {
      if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `duplicate step id "${s.id}"` });
      if (s.branch && !seen.has(s.branch.step))
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'branch', 'step'], message: `branch refers to "${s.branch.step}", which is not an earlier step` });
      if (!s.branch && !s.after) ctx.addIssue({ code: 'custom', path: ['steps', i, 'after'], message: 'a step needs `after` (delay after entry) or `branch`' });
      seen.add(s.id);
    });
  });

const newsletter = z
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
        timezone: z.union([z.literal('member'), zone]),
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

const renewal = z
  .object({
    ...base,
    kind: z.literal('renewal'),
    steps: z
      .array(z.object({ ...message, id: stepId, before: durationSchema.optional(), after: durationSchema.optional(), at: localTime.optional() }).strict())
      .min(1, 'a renewal series needs at least one step'),
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

const caseStudy = z
  .object({ ...base, ...message, kind: z.literal('case-study'), tags: z.array(z.string().min(1)).min(1), maxAge: durationSchema.optional() })
  .strict();

const eventMessage = z.object({ ...message, before: durationSchema }).strict();
const event = z
  .object({
    ...base,
    kind: z.literal('event'),
    event: z
      .object({
        title: z.string().min(1),
        start: localDateTime,
        end: localDateTime,
        timezone: zone,
        location: z.string().optional(),
        url: z.url().optional(),
        description: z.string().optional(),
        organizer: z.object({ name: z.string(), email: z.email() }).optional(),
      })
      .strict()
      .refine((e) => e.end > e.start, { path: ['end'], message: 'event must end after it starts' }),
    invite: eventMessage,
    reminder: eventMessage.optional(),
    dayBefore: z.object({ ...message, before: durationSchema.optional() }).strict().optional(),
  })
  .strict();

const broadcast = z
  .object({
    ...base,
    ...message,
    kind: z.literal('broadcast'),
    at: z.string().refine((v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v) && !Number.isNaN(Date.parse(v)), 'must be an ISO date-time'),
    topic: z.enum(TOPICS).optional(),
  })
  .strict();

const application = z
  .object({
    ...base,
    kind: z.literal('application'),
    program: z.string().min(1, 'program is required: whose applicants get these messages'),
    messages: z
      .object({ received: z.object(message).strict(), 'needs-info': z.object(message).strict(), awarded: z.object(message).strict(), declined: z.object(message).strict() })
      .partial()
      .strict()
      .refine((m) => Object.keys(m).length > 0, 'declare at least one of received, needs-info, awarded, declined'),
  })
  .strict();

export const campaignSchema = z.discriminatedUnion('kind', [drip, newsletter, renewal, caseStudy, event, broadcast, application], {
  error: (i) => (i.code === 'invalid_union' ? `unknown campaign kind ${JSON.stringify((i.input as { kind?: unknown })?.kind)} (known: drip, newsletter, renewal, case-study, event, broadcast, application)` : undefined),
});

/** `['steps', 1, 'after']` -> `steps[1].after` */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}
