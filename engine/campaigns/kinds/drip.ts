// Drip: steps at delays after the member's entry date (e.g. awardedAt), in the member's
// zone; engagement branches run `within` after the step they watch was sent.
import { z } from 'zod';
import { matchesSegment } from '../../audience/match.ts';
import { durationMs, shift, zoneOf } from '../time.ts';
import type { Candidate } from '../plan-types.ts';
import { base, durationSchema, localTime, memberOnlySegment, message, stepId, topicSchema } from '../schema.ts';
import type { DripCampaign } from '../types.ts';
import type { CampaignKindModule } from './types.ts';

const schema = z
  .object({
    ...base,
    kind: z.literal('drip'),
    entry: z.object({ on: z.enum(['appliedAt', 'awardedAt', 'createdAt'], { error: (i) => `unknown entry field ${JSON.stringify(i.input)}` }), when: memberOnlySegment.optional() }).strict(),
    exit: memberOnlySegment.optional(),
    topic: topicSchema.optional(),
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

export const drip: CampaignKindModule<DripCampaign> = {
  kind: 'drip',
  description: 'steps at delays after each member enters (e.g. is awarded), with engagement branches',
  schema,
  messages: (def) => def.steps.map((s, i) => ({ step: s.id, path: `steps[${i}]`, spec: s })),
  topic: (def) => def.topic,
  candidates: (def, ctx) => {
    const { member, history, now } = ctx;
    const entryAt = member[def.entry.on];
    if (!(entryAt instanceof Date)) return [];
    if (def.entry.when && !matchesSegment(def.entry.when.node, member, now)) return [];
    if (def.exit && matchesSegment(def.exit.node, member, now)) return [];
    const zone = zoneOf(member.timezone);
    const stale = durationMs(def.staleAfter, 7);
    const out: Candidate[] = [];
    for (const step of def.steps) {
      let dueAt: Date;
      if (step.branch) {
        const watched = history.sends.find((s) => s.step === step.branch!.step && s.occurrence === '' && s.status === 'sent' && s.sentAt);
        if (!watched?.sentAt) continue;
        const deadline = shift(watched.sentAt, step.branch.within, 1, zone);
        const engagedAt = step.branch.did === 'opened' || step.branch.did === 'notOpened' ? watched.firstOpenedAt : watched.firstClickedAt;
        const engagedInTime = engagedAt instanceof Date && engagedAt <= deadline;
        const wantsEngaged = step.branch.did === 'opened' || step.branch.did === 'clicked';
        // Either way the branch is decided at the deadline: dueSends only returns it once now >= deadline.
        if (wantsEngaged !== engagedInTime) continue;
        dueAt = step.at ? shift(deadline, {}, 1, zone, step.at, deadline) : deadline;
      } else {
        dueAt = shift(entryAt, step.after ?? {}, 1, zone, step.at, entryAt);
      }
      out.push({ step: step.id, occurrence: '', dueAt, until: new Date(dueAt.getTime() + stale), spec: step, data: { ...step.data }, topic: def.topic, category: 'marketing' });
    }
    return out;
  },
  conditions: (def) => [
    ...(def.entry.when ? [{ path: 'entry.when.node', node: def.entry.when.node }] : []),
    ...(def.exit ? [{ path: 'exit.node', node: def.exit.node }] : []),
  ],
  nextRun: () => 'continuous',
  // exit conditions and branches ("did not open the welcome") depend on the member and their history
  recheckAtSend: 'history',
};
