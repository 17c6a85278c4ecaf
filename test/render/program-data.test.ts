// Templates read the member's own program from campaigns/programs.ts: one renewal series
// shared by three programs names each member's program, not a placeholder.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCampaigns } from '../../engine/campaigns/index.ts';
import { simulate } from '../../engine/planner/index.ts';
import { ROOT_DIR } from '../../engine/store/index.ts';
import { member as plannerMember } from '../planner/factories.ts';
import { member as viewMember, renderer, sendRef } from './support.ts';

const campaigns = await loadCampaigns(join(ROOT_DIR, 'campaigns'));
const renewal = campaigns.find((c) => c.name === 'renewal-yearly')!;

async function firstReminder(program: string) {
  const m = plannerMember({ email: `${program}@example.org`, program, timezone: 'UTC', expiresAt: new Date('2027-03-01T00:00:00Z') });
  const [send] = simulate({ campaign: renewal, members: [m], content: [], from: new Date('2027-01-01T00:00:00Z'), days: 90 });
  if (!send) throw new Error(`no renewal reminder planned for ${program}`);
  const rendered = await renderer().render({
    template: send.template, subject: send.subject, data: send.data, send: sendRef('65f1a2b3c4d5e6f708192a3b'),
    member: viewMember({ email: m.email, program, timezone: 'UTC', expiresAt: m.expiresAt! }),
  });
  return { send, rendered };
}

describe('program data in templates', () => {
  it('the renewal reminder names the member\'s own program, with its link', async () => {
    const { send, rendered } = await firstReminder('startups');
    expect(send.data.program).toEqual({ id: 'startups', name: 'Flywheel for Startups', url: 'https://flywheel.example/startups' });
    expect(rendered.text).toContain('Your Flywheel for Startups membership runs until');
    expect(rendered.text).not.toMatch(/your your/i);
    const education = await firstReminder('education');
    expect(education.rendered.text).toContain('Your Flywheel for Education membership runs until');
  });

  it('members outside the yearly programs get no renewal reminder; a program that does not send a topic gets none of its campaigns', async () => {
    const m = plannerMember({ email: 'c@example.org', program: 'contributor', expiresAt: new Date('2027-03-01T00:00:00Z') });
    // renewal-yearly's audience names the yearly programs only
    expect(simulate({ campaign: renewal, members: [m], content: [], from: new Date('2027-01-01T00:00:00Z'), days: 90 })).toEqual([]);
    const news = campaigns.find((c) => c.name === 'newsletter-contributor')!;
    const quiet = { ...news, programs: { ...news.programs, contributor: { ...news.programs!.contributor!, topics: ['events' as const] } } };
    const item = { guid: 'i1', title: 'Item', url: 'https://flywheel.example/i1', tags: [], programs: [], publishedAt: new Date('2027-01-02T00:00:00Z') };
    const from = new Date('2027-01-01T00:00:00Z');
    expect(simulate({ campaign: news, members: [m], content: [item], from, days: 40 }).length).toBeGreaterThan(0);
    expect(simulate({ campaign: quiet, members: [m], content: [item], from, days: 40 })).toEqual([]);
  });
});
