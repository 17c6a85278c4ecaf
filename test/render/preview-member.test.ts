import { runCli } from '../support/cli.ts';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'node-html-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateDefinition, type LoadedCampaign } from '../../engine/campaigns/index.ts';
import { previewCommand } from '../../engine/cli/preview.ts';
import { ManualClock } from '../../engine/clock.ts';
import { loadConfig } from '../../engine/config.ts';
import { createMemberPreviewLoader } from '../../engine/render/preview-data.ts';
import type { Store } from '../../engine/store/index.ts';
import { openTestStore } from '../support/db.ts';
import { upsertItems } from '../../engine/content/index.ts';
import caseStudies from '../../campaigns/case-studies.ts';
import hackathon from '../../campaigns/hackathon-contributors.ts';
import onboarding from '../../campaigns/onboarding-education.ts';
import programs from '../../campaigns/programs.ts';

const DAY = 86_400_000;
const now = new Date('2026-06-01T12:00:00Z');
let store: Store;

// the real campaign files, imported statically (loadCampaigns' cache-busting import does not run under vitest)
const campaigns: LoadedCampaign[] = [
  [caseStudies, 'campaigns/case-studies.ts'], [hackathon, 'campaigns/hackathon-contributors.ts'], [onboarding, 'campaigns/onboarding-education.ts'],
].map(([def, file]) => {
  const { campaign, issues } = validateDefinition(def, file as string, readFileSync(file as string, 'utf8'), programs);
  if (!campaign) throw new Error(`${file}: ${JSON.stringify(issues)}`);
  return campaign;
});

function member(fields: { email: string; name: string; program: string; timezone: string; locale?: string; awardedAt?: Date }) {
  return { status: 'active', locale: 'en-US', ...fields };
}

beforeAll(async () => {
  store = await openTestStore('render_preview_member');
  // small on purpose: the test database is slow on writes
  await store.models.Member.insertMany([
    member({ email: 'grace@example.edu', name: 'Grace Hopper', program: 'education', timezone: 'America/New_York', awardedAt: new Date(now.getTime() - 2 * DAY) }),
    member({ email: 'linus@example.org', name: 'Linus Chen', program: 'contributor', timezone: 'America/New_York' }),
  ]);
  await upsertItems(store, 'local', [{
    guid: 'cs-acme', title: 'How Acme Labs halved build times', url: 'https://flywheel.example/customers/acme',
    summary: 'Acme moved CI to Flywheel runners.', html: '', tags: ['case-study'], programs: [], publishedAt: new Date(now.getTime() - DAY),
  }], now);
});

afterAll(async () => {
  await store?.close();
});

/** A preview that should fail: what the user sees on stderr, and the exit code. */
async function previewError(args: string[]) {
  const loadMemberPreview = createMemberPreviewLoader({ store, campaigns: async () => campaigns, clock: new ManualClock(now) });
  return runCli(previewCommand({ config: loadConfig({}), loadMemberPreview, print: () => {} }), args);
}

async function preview(args: string[]) {
  const out = mkdtempSync(join(tmpdir(), 'flywheel-preview-member-'));
  const printed: string[] = [];
  const config = loadConfig({});
  const loadMemberPreview = createMemberPreviewLoader({ store, campaigns: async () => campaigns, clock: new ManualClock(now) });
  await previewCommand({ config, loadMemberPreview, print: (l) => printed.push(l) }).parseAsync([...args, '--out', out], { from: 'user' });
  const read = (name: string) => readFileSync(printed.find((p) => p.endsWith(name))!, 'utf8');
  return { html: read('message.html'), text: read('message.txt'), headers: read('headers.txt') };
}

describe('flywheel preview --member', () => {
  it("renders a drip step with the member's name and the step's own content", async () => {
    const msg = await preview(['onboarding-education', 'curriculum', '--member', 'Grace@Example.edu']);
    expect(msg.headers).toMatch(/^To: Grace Hopper <grace@example\.edu>$/m);
    expect(msg.headers).toMatch(/^Subject: Step 2 of 3: Plug in the curriculum$/m);
    expect(parse(msg.html).text).toContain('Hi Grace,');
    expect(msg.html).toContain('Plug in the curriculum');
    expect(msg.text).toContain('Browse the labs');
  });

  it('reaches a step that only follows engagement (the welcome resent to members who did not open it)', async () => {
    const msg = await preview(['onboarding-education', 'welcome-again', '--member', 'grace@example.edu']);
    // the member's own program, from campaigns/programs.ts
    expect(msg.headers).toMatch(/^Subject: Did you miss this\? Your Flywheel for Education classroom is ready$/m);
    expect(msg.text).toContain('Grace');
  });

  it("renders the event day-before note with the planner's event details in the member's time zone", async () => {
    const msg = await preview(['hackathon-contributors-2026', 'day-before', '--member', 'linus@example.org']);
    const text = parse(msg.html).text;
    expect(text).toContain('Hi Linus,');
    expect(text).toContain('See you tomorrow');
    expect(text).toContain('Flywheel Contributor Hackathon 2026');
    // 10:00 in Berlin is 04:00 in New York
    expect(text).toMatch(/November 14, 2026 at 4:00\s?AM EST/);
    expect(text).toContain('c-base, Berlin and online');
  });

  it('renders a case study built from a content item that has no image, quote or company', async () => {
    const msg = await preview(['case-studies', 'promote', '--member', 'grace@example.edu']);
    expect(msg.headers).toMatch(/^Subject: Case study: How Acme Labs halved build times$/m);
    const doc = parse(msg.html);
    expect(doc.text).toContain('Hi Grace, Acme moved CI to Flywheel runners.');
    expect(doc.text).not.toContain('“”');
    expect(doc.querySelectorAll('img').every((i) => i.getAttribute('src') !== '')).toBe(true);
  });

  it('names the address when no member has it', async () => {
    expect(await previewError(['onboarding-education', 'welcome', '--member', 'nobody@example.com']))
      .toMatchObject({ exitCode: 1, stderr: expect.stringMatching(/No member with the email address nobody@example\.com/) });
  });

  it('lists the steps when the step does not exist', async () => {
    expect(await previewError(['onboarding-education', 'graduation', '--member', 'grace@example.edu']))
      .toMatchObject({ exitCode: 1, stderr: expect.stringMatching(/no step "graduation" \(steps: welcome, welcome-again, curriculum, showcase\)/) });
  });
});
