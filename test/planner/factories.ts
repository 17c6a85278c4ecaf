// Small factories for planner tests: members, content items, and campaigns validated the
// same way the loader validates files.
import { validateDefinition, type CampaignDefinition, type LoadedCampaign } from '../../engine/campaigns/index.ts';
import type { PlannerContentItem, PlannerMember } from '../../engine/planner/index.ts';

let seq = 0;

export function member(overrides: Partial<PlannerMember> & { email: string }): PlannerMember {
  seq += 1;
  return {
    _id: `m${String(seq).padStart(3, '0')}`,
    name: overrides.email.split('@')[0],
    program: 'education',
    status: 'active',
    locale: 'en',
    timezone: 'UTC',
    tags: [],
    attributes: {},
    topics: { newsletter: true, events: true, caseStudies: true },
    ...overrides,
  };
}

export function item(guid: string, publishedAt: string, overrides: Partial<PlannerContentItem> = {}): PlannerContentItem {
  return { guid, title: `Item ${guid}`, url: `https://flywheel.example/${guid}`, summary: '', tags: [], programs: [], publishedAt: new Date(publishedAt), ...overrides };
}

export function campaign(def: CampaignDefinition): LoadedCampaign {
  const { campaign, issues } = validateDefinition(def, 'campaigns/test.ts');
  if (!campaign) throw new Error(issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return campaign;
}

/** A send as a compact row: "email step occurrence dueAt-ISO". */
export function row(s: { email: string; step: string; occurrence: string; dueAt: Date }): string {
  return `${s.email} ${s.step} ${s.occurrence || '-'} ${s.dueAt.toISOString()}`;
}
