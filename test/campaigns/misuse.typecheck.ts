// Compile-time checks of the campaign DSL: every `@ts-expect-error` below must stay an
// error, so `npm run typecheck` fails if the DSL stops catching these mistakes.
import { and, days, defineCampaign, where } from '../../engine/campaigns/index.ts';

export const branchToUnknownStep = defineCampaign({
  kind: 'drip',
  name: 'x',
  entry: { on: 'awardedAt' },
  steps: [
    { id: 'welcome', after: days(0), template: 't', subject: 's' },
    // @ts-expect-error a branch may only watch a step of this campaign
    { id: 'again', branch: { step: 'welcom', did: 'notOpened', within: days(3) }, template: 't', subject: 's' },
  ],
});

// @ts-expect-error unknown program
export const unknownProgram = where.program('enterprise');

// @ts-expect-error unknown status
export const unknownStatus = where.status('suspended');

// @ts-expect-error unknown member date field
export const unknownField = where.withinLast('renewedAt', 3);

export const unknownKind = defineCampaign({
  // @ts-expect-error unknown campaign kind
  kind: 'sms',
  name: 'x',
});

export const exitNeedsSendLog = defineCampaign({
  kind: 'drip',
  name: 'x',
  entry: { on: 'awardedAt' },
  // @ts-expect-error entry/exit conditions cannot depend on send-log engagement
  exit: and(where.status('churned'), where.openedCampaign('newsletter-education', 30)),
  steps: [{ id: 'a', after: days(1), template: 't', subject: 's' }],
});

export const newsletterWithoutSchedule = defineCampaign(
  // @ts-expect-error a newsletter needs a schedule
  { kind: 'newsletter', name: 'x', template: 't', subject: 's', digest: { maxItems: 3 } },
);

export const attributeInNeedsArray = where.attribute(
  'tier',
  'in',
  // @ts-expect-error `in` compares against a list
  'gold',
);
