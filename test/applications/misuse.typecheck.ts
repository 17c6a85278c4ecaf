// Compile-time checks of application specs: every `@ts-expect-error` below must stay an
// error, so `npm run typecheck` fails if rules stop being checked against declared fields.
import { awardIfFieldIn, defineApplication } from '../../engine/applications/index.ts';

export const ruleReadsUndeclaredField = defineApplication({
  fields: { licence: { kind: 'text', label: 'Licence' } },
  rules: [{
    name: 'typo',
    // @ts-expect-error `licnce` is not a declared field
    decide: (a) => (a.fields.licnce === 'MIT' ? { decision: 'award', reason: 'MIT' } : undefined),
  }],
});

export const helperOnUndeclaredField = defineApplication({
  fields: { licence: { kind: 'text', label: 'Licence' } },
  // @ts-expect-error `license` is not a declared field
  rules: [awardIfFieldIn('osi', 'license', ['MIT'])],
});

export const unknownVerdict = defineApplication({
  fields: { licence: { kind: 'text', label: 'Licence' } },
  // @ts-expect-error a verdict is award or decline
  rules: [{ name: 'maybe', decide: () => ({ decision: 'maybe', reason: 'unsure' }) }],
});
