// `flywheel send` and `run --once` wait for their batches; a batch that cannot be sent
// must end the wait with a clear error, not hang, and must stay queued for a worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/db.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { broadcastCampaign, seedMembers, testConfig } from '../support/engine.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { drain } from '../../engine/scheduler/drain.ts';
import type { Store } from '../../engine/store/index.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';

let store: Store;
let sink: SmtpSink;
let engine: Engine;
const campaign = broadcastCampaign('drain-broken');

beforeAll(async () => {
  store = await openTestStore('sending_drain');
  sink = await SmtpSink.start();
  engine = await createEngine(testConfig({ SMTP_URL: sink.url }), { store, campaigns: [campaign], processEveryMs: 100 });
});
afterAll(async () => { await engine?.close(); await sink?.close(); await store?.close(); });

describe('waiting for a send', () => {
  it('reports a batch that fails instead of waiting forever, and leaves it queued', async () => {
    await seedMembers(store, 3, 'drain');
    await engine.scheduler.plan(campaign, { now: engine.clock.now(), forceStep: campaign.steps[0] });
    await (await ledgerModels(store)).Payload.deleteMany({}); // the batch can no longer be rendered
    await expect(drain(engine, { failureGraceMs: 500 })).rejects.toMatchObject({ code: 'SEND_STALLED', message: expect.stringMatching(/1 batch\(es\) could not be finished: .*payload/) });
    expect(sink.messages).toHaveLength(0);
    expect(await (await ledgerModels(store)).SendBatch.countDocuments({ finishedAt: null })).toBe(1);
  });
});
