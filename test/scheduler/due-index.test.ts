// The campaign tick on the real database plans from the due index and the planning marks; a
// second database gets the same members, edits and content and is planned in full on every
// tick. Both must record the same sends at the same times, while the indexed tick reads only
// the members it plans.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../engine/store/index.ts';
import { openTestStore } from '../support/db.ts';
import { testConfig } from '../support/engine.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { ManualClock } from '../../engine/clock.ts';
import { days, defineCampaign, where, type LoadedCampaign } from '../../engine/campaigns/index.ts';
import { campaign } from '../planner/factories.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';
import { writeMemberBatch } from '../../engine/audience/members/write.ts';
import { upsertItems } from '../../engine/content/queries.ts';
import { planCampaign } from '../../engine/scheduler/plan.ts';

const DAY = 86_400_000;
const onboarding = (welcome: string) => campaign(defineCampaign({
  kind: 'drip', name: 'onboarding', audience: where.program('education', 'startups'), entry: { on: 'awardedAt' },
  steps: [{ id: 'welcome', after: days(0), template: 'onboarding-step', subject: welcome }, { id: 'week2', after: days(7), at: '09:00', template: 'onboarding-step', subject: 'Week 2' }],
}));
const renewal = campaign(defineCampaign({
  kind: 'renewal', name: 'renewal', audience: where.withinNext('expiresAt', 20),
  steps: [{ id: 'week', before: days(7), at: '09:00', template: 'renewal-reminder', subject: 'A week left' }],
}));
const studies = campaign(defineCampaign({ kind: 'case-study', name: 'studies', tags: ['case-study'], template: 'case-study', subject: 'Study' }));

let indexed: Store;
let full: Store;
let engine: Engine;
const clock = new ManualClock('2026-05-04T08:00:00Z');
const campaigns: LoadedCampaign[] = [onboarding('Welcome'), renewal, studies];

beforeAll(async () => {
  [indexed, full] = await Promise.all([openTestStore('scheduler_due_index'), openTestStore('scheduler_due_index_full')]);
  engine = await createEngine(testConfig({ FLYWHEEL_FREQUENCY_CAP: '0' }), { store: indexed, clock, campaigns });
});
afterAll(async () => { await engine?.close(); await Promise.all([indexed?.close(), full?.close()]); });

/** the same write on both databases */
async function both(write: (store: Store) => Promise<unknown>) {
  await write(indexed);
  await write(full);
}

async function tickBoth(at: Date) {
  clock.set(at);
  await engine.scheduler.tick(at);
  for (const c of campaigns) await planCampaign({ store: full, batchSize: 500, messageIdDomain: 'test', frequencyCap: { max: 0, windowMs: 7 * DAY, exemptCategories: [] } }, c, { now: at });
}

async function sends(store: Store): Promise<string[]> {
  const { SendLog } = await ledgerModels(store);
  return (await SendLog.find({}, { key: 1, dueAt: 1 }).lean()).map((s) => `${s.key} ${s.dueAt.toISOString()}`).sort();
}

const people = (n: number, from: number, at: Date) => Array.from({ length: n }, (_, i) => ({
  email: `p${from + i}@example.org`,
  set: { name: `P ${from + i}`, program: (['education', 'startups', 'contributor'] as const)[(from + i) % 3], status: 'active', timezone: ['UTC', 'Asia/Tokyo', 'America/New_York'][(from + i) % 3],
    awardedAt: new Date(at.getTime() - ((from + i) % 10) * DAY), expiresAt: new Date(at.getTime() + ((from + i) % 40) * DAY) },
}));

describe('the campaign tick on the due index', () => {
  it('records the same sends as planning everyone on every tick, through imports, edits, content and a changed campaign', async () => {
    const start = clock.now();
    await both((s) => writeMemberBatch(s, people(60, 0, start), start));
    let t = start.getTime();
    const step = async (ms: number) => { t += ms; await tickBoth(new Date(t)); expect(await sends(indexed)).toEqual(await sends(full)); };
    await step(0);
    expect((await sends(indexed)).length).toBeGreaterThan(10);
    for (let i = 0; i < 12; i++) await step((37 + i * 53) * 60_000); // across hours: minute and hour buckets
    // an import of new members and an update of existing ones (renewed: no reminder)
    await both((s) => writeMemberBatch(s, people(20, 60, new Date(t)), new Date(t)));
    await both((s) => s.models.Member.updateOne({ email: 'p5@example.org' }, { $set: { expiresAt: new Date(t + 400 * DAY) } }));
    await step(60_000);
    await step(3 * DAY);
    // new content: promotions for everyone it is for
    await both((s) => upsertItems(s, 'test', [{ guid: 'cs1', title: 'Case', url: 'https://example.org/cs1', tags: ['case-study'], programs: [], publishedAt: new Date(t) } as never], new Date(t)));
    await step(5 * 60_000);
    expect((await sends(indexed)).some((k) => k.startsWith('studies:promote:'))).toBe(true);
    // a changed definition is planned again in full once
    campaigns.splice(0, 1, onboarding('Welcome aboard')); // the engine holds this same list
    await both((s) => writeMemberBatch(s, people(5, 80, new Date(t)), new Date(t)));
    for (let i = 0; i < 10; i++) await step(DAY / 2 + i * 3_600_000);
  }, 240_000);

  it('an idle tick reads no member', async () => {
    const reads: string[] = [];
    const original = indexed.models.Member.find.bind(indexed.models.Member);
    indexed.models.Member.find = ((...args: unknown[]) => { reads.push(JSON.stringify(args[0])); return (original as (...a: unknown[]) => unknown)(...args); }) as never;
    try {
      const now = new Date(clock.now().getTime() + 1000);
      await engine.scheduler.tick(now);
      await engine.scheduler.tick(new Date(now.getTime() + 60_000));
      expect(reads).toEqual([]);
    } finally {
      indexed.models.Member.find = original as never;
    }
  });
});
