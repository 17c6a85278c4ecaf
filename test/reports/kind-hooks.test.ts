// Which sends the reports treat specially is the kind module's say (`reportsAs`), not a list of
// kind names in reports/: renewal reminders feed attribution, case-study promotions participation.
import { describe, expect, it } from 'vitest';
import { registerKind } from '../../engine/campaigns/index.ts';
import { newsletter } from '../../engine/campaigns/kinds/newsletter.ts';
import { promotesCaseStudies, sendsRenewalReminders } from '../../engine/reports/metrics.ts';

describe('kinds tell the reports what their sends are', () => {
  it('renewal reminders and case-study promotions among the built-in kinds', () => {
    expect(['renewal', 'case-study', 'newsletter', 'drip', 'event', 'broadcast', 'application', undefined].map((k) => [k, sendsRenewalReminders(k), promotesCaseStudies(k)])).toEqual([
      ['renewal', true, false], ['case-study', false, true], ['newsletter', false, false], ['drip', false, false],
      ['event', false, false], ['broadcast', false, false], ['application', false, false], [undefined, false, false],
    ]);
  });

  it('a kind added at run time counts as renewal reminders by declaring it, with no change in reports/', () => {
    expect(sendsRenewalReminders('renewal-call')).toBe(false);
    registerKind({ ...newsletter, kind: 'renewal-call', reportsAs: 'renewal-reminder' });
    expect(sendsRenewalReminders('renewal-call')).toBe(true);
    expect(promotesCaseStudies('renewal-call')).toBe(false);
  });
});
