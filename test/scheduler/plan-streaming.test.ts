// A large audience is planned a batch at a time: each full batch is written (records, payload,
// batch) and handed on to be queued before the rest of the audience is planned, so sending can
// start at once and memory follows a batch, not the audience. Nothing is planned twice.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openTestStore } from '../support/db.ts';
import { broadcastCampaign } from '../support/engine.ts';
import { planCampaign, type PlanDeps } from '../../engine/scheduler/plan.ts';
import { SEVEN_DAYS_MS } from '../../engine/planner/send-timing.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';
import { batchById } from '../../engine/ledger/index.ts';
import type { Store } from '../../engine/store/index.ts';

const MEMBERS = 2300;
let store: Store;

beforeAll(async () => {
  store = await openTestStore('plan_streaming');
  const now = new Date();
  await store.models.Member.insertMany(Array.from({ length: MEMBERS }, (_, i) => ({
    email: `reader${i}@example.org`, name: `Reader ${i}`, program: 'education', status: 'active', timezone: 'UTC',
  })));
});
afterAll(async () => { await store.close(); });

it('a newsletter to 2,300 members is queued batch by batch while planning goes on, and planning it again queues nothing', async () => {
  const { SendLog } = await ledgerModels(store);
  const queued: Array<{ id: string; recipients: number; recordsSoFar: number }> = [];
  const deps: PlanDeps = {
    store, batchSize: 500, messageIdDomain: 'test.example', frequencyCap: { max: 3, windowMs: SEVEN_DAYS_MS, exemptCategories: [] },
    onBatches: async (batches) => {
      for (const b of batches) queued.push({ id: b.id, recipients: b.recipients, recordsSoFar: await SendLog.countDocuments({ campaign: 'streamed' }) });
    },
  };
  const campaign = broadcastCampaign('streamed');
  const now = new Date('2026-11-30T10:00:00Z');
  const first = await planCampaign(deps, campaign, { now, forceStep: campaign.steps[0] });

  expect(first.created).toBe(MEMBERS);
  // full batches first, as soon as each filled; the remainder when the audience ran out
  expect(queued.map((q) => q.recipients)).toEqual([500, 500, 500, 500, 300]);
  // the first batch was handed on when only its own records existed: the rest was not planned yet
  expect(queued[0]!.recordsSoFar).toBe(500);
  expect(first.batchIds.map((b) => b.id)).toEqual(queued.map((q) => q.id));

  // every member is in exactly one batch, and each batch names its own records
  const seen = new Map<string, number>();
  for (const q of queued) {
    const batch = (await batchById(store, q.id))!;
    expect(batch.recipients).toHaveLength(q.recipients);
    for (const r of batch.recipients) {
      seen.set(r.email, (seen.get(r.email) ?? 0) + 1);
      const record = await SendLog.findById(r.sendLogId).lean();
      expect(String(record!.batchId)).toBe(q.id);
    }
  }
  expect(seen.size).toBe(MEMBERS);
  expect([...seen.values()].every((n) => n === 1)).toBe(true);

  queued.length = 0;
  const again = await planCampaign(deps, campaign, { now, forceStep: campaign.steps[0] });
  expect(again.created).toBe(0);
  expect(queued).toEqual([]);
  expect(await SendLog.countDocuments({ campaign: 'streamed' })).toBe(MEMBERS);
}, 120_000);
