// Small factories for tests that run the whole engine: a config pointed at a test
// database and SMTP sink, and campaigns defined inline.
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../engine/config.ts';
import { defineCampaign, validateDefinition, type LoadedCampaign } from '../../engine/campaigns/index.ts';
import { where } from '../../engine/campaigns/index.ts';
import type { Store } from '../../engine/store/index.ts';
import type { Clock } from '../../engine/clock.ts';
import type { Engine } from '../../engine/main.ts';

/** One random secret per test process: no secret is written in the source. */
export const TEST_SECRET = randomBytes(32).toString('base64url');

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ FLYWHEEL_TRANSPORT: 'smtp', LOG_LEVEL: 'silent', FLYWHEEL_SECRET: TEST_SECRET, ...overrides });
}

/**
 * Real time plus an adjustable shift: tests send at real time, then move the engine an hour on
 * before a "member" opens the message (opens within seconds of sending are a machine's).
 */
export class ShiftableClock implements Clock {
  shiftMs = 0;
  now(): Date { return new Date(Date.now() + this.shiftMs); }
}

/** Write every buffered tracking hit and counter delta (what a report reads). */
export async function settleTracking(engine: Engine): Promise<void> {
  await engine.tracking.hits.flush(true);
  await engine.counters.flush();
}

/** A one-off newsletter to every active member subscribed to the newsletter. */
export function broadcastCampaign(name = 'test-broadcast', items = 2): LoadedCampaign {
  const def = defineCampaign({
    kind: 'broadcast',
    name,
    audience: where.status('active'),
    topic: 'newsletter',
    at: '2026-01-06T09:00',
    template: 'newsletter',
    subject: '{{program.name}}: {{issue.title}}',
    data: {
      program: { name: 'Flywheel Programs', url: 'https://flywheel.example/programs' },
      issue: { title: 'Test issue', number: 1, date: '2026-01-06T09:00:00Z' },
      intro: 'the latest from the programs.',
      items: Array.from({ length: items }, (_, i) => ({ title: `Item ${i + 1}`, url: `https://flywheel.example/item/${i + 1}`, summary: `Summary ${i + 1}`, tag: 'News', meta: 'Blog' })),
      cta: { label: 'Read more', url: 'https://flywheel.example/blog' },
    },
  });
  const { campaign, issues } = validateDefinition(def, `${name}.ts`);
  if (!campaign) throw new Error(issues.map((i) => i.message).join('\n'));
  return campaign;
}

let counter = 0;
/** Insert `n` active members across the four programs; returns their emails in order. */
export async function seedMembers(store: Store, n: number, prefix = 'member'): Promise<string[]> {
  const programs = ['education', 'open-source', 'startups', 'contributor'];
  const docs = Array.from({ length: n }, (_, i) => ({
    email: `${prefix}${++counter}-${i}@example.org`,
    name: `Member ${i} ${prefix}`,
    program: programs[i % 4],
    status: 'active',
    timezone: 'Europe/Berlin',
    locale: 'en',
    topics: { newsletter: true, events: true, caseStudies: true },
    renewals: [], tags: [], attributes: {},
  }));
  await store.models.Member.insertMany(docs);
  return docs.map((d) => d.email);
}
