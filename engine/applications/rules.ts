// The automatic decision: ask a program's rules in order; the first verdict decides and is
// recorded with the rule's name. Pure. A rule that throws is a bug in the program's file:
// the application goes to manual review and the error is returned for the log, never lost.
import type { Application, ResolvedApplicationSpec } from './spec.ts';

export type RuleOutcome =
  | { decision: 'award' | 'decline'; rule: string; reason: string }
  | { decision: 'review'; failures: { rule: string; error: string }[] };

export function decideByRules(spec: ResolvedApplicationSpec, application: Application): RuleOutcome {
  const failures: { rule: string; error: string }[] = [];
  for (const rule of spec.rules ?? []) {
    let verdict;
    try {
      verdict = rule.decide(application);
    } catch (e) {
      failures.push({ rule: rule.name, error: (e as Error).message });
      continue;
    }
    if (verdict) return { decision: verdict.decision, rule: rule.name, reason: verdict.reason };
  }
  return { decision: 'review', failures };
}
