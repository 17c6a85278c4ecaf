// Batch recipients and result pages are stored packed (one binary value each); what was written
// before packing must still read back, and every reader must see the same outcomes either way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import type { Store } from '../../engine/store/index.ts';
import { openTestStore } from '../support/db.ts';
import { ledgerModels, type BatchRecipient, type SendOutcome } from '../../engine/ledger/models.ts';
import { batchById, countDelivered, createBatches, recordResultPage, recordedResults, resultCountsOfStep, settledByEarlierRuns } from '../../engine/ledger/index.ts';
import { ledgerRecordOf } from '../../engine/ledger/privacy.ts';

let store: Store;
beforeAll(async () => { store = await openTestStore('ledger-packed-lists'); });
afterAll(async () => { await store.close(); });

const at = new Date('2026-05-04T10:00:00Z');
const recipient = (i: number): BatchRecipient => ({
  sendLogId: new Types.ObjectId(), occurrence: i % 2 ? '2026-05' : '', messageId: `<m${i}@test>`, memberId: new Types.ObjectId(),
  email: `m${i}@example.org`, name: `Member ${i}`, program: 'education', locale: 'en', timezone: 'Europe/Berlin',
  country: 'DE', expiresAt: new Date('2027-01-31T00:00:00Z'), attributes: { seats: i, joined: new Date('2025-02-03T00:00:00Z'), tags: ['a', 'b'] },
});

describe('packed ledger lists', () => {
  it('a batch reads back its recipients exactly, with ids, dates and attribute types intact', async () => {
    const recipients = Array.from({ length: 3 }, (_, i) => recipient(i));
    const _id = new Types.ObjectId();
    await createBatches(store, [{ _id, campaign: 'c', step: 's', payloadId: 'p', dueAt: at, attempt: 1, recipients, createdAt: at, updatedAt: at }]);
    const stored = await (await ledgerModels(store)).BatchRecipients.collection.findOne({ _id });
    expect(stored?.recipients).toBeUndefined();
    const batch = await batchById(store, _id);
    expect(batch?.recipients).toEqual(recipients);
    expect(batch?.recipients[0]!.sendLogId).toBeInstanceOf(Types.ObjectId);
    expect(batch?.recipients[1]!.attributes.joined).toBeInstanceOf(Date);
  });

  it('a batch written before packing still reads back its recipients array', async () => {
    const recipients = [recipient(7)];
    const _id = new Types.ObjectId();
    const { SendBatch, BatchRecipients } = await ledgerModels(store);
    await BatchRecipients.collection.insertOne({ _id, recipients } as never);
    await SendBatch.collection.insertOne({ _id, campaign: 'c', step: 's', payloadId: 'p', dueAt: at, attempt: 1 } as never);
    expect((await batchById(store, _id))?.recipients).toEqual(recipients);
  });

  it('results read the same from packed pages, pages written before packing and single outcomes, first outcome of each attempt kept', async () => {
    const batchId = new Types.ObjectId();
    const [a, b, c, d] = Array.from({ length: 4 }, () => new Types.ObjectId());
    const outcome = (sendLogId: Types.ObjectId, status: SendOutcome['status']): SendOutcome => ({ sendLogId, status, at, transport: 'smtp' });
    const { SendResult } = await ledgerModels(store);
    // run 1: a page from before packing, then a packed one; run 2 records `a` again (it was in flight)
    await SendResult.collection.insertOne({ _id: `${batchId}:1:0`, batchId, campaign: 'packed', step: 's', attempt: 1, run: 1, seq: 0, results: [outcome(a!, 'sent')] } as never);
    expect(await recordResultPage(store, { _id: `${batchId}:1:1`, batchId, campaign: 'packed', step: 's', attempt: 1, run: 1, seq: 1, results: [outcome(b!, 'failed'), outcome(c!, 'skipped')] })).toBe(true);
    expect(await recordResultPage(store, { _id: `${batchId}:1:1`, batchId, campaign: 'packed', step: 's', attempt: 1, run: 1, seq: 1, results: [outcome(b!, 'failed')] })).toBe(false);
    expect(await recordResultPage(store, { _id: `${batchId}:2:0`, batchId, campaign: 'packed', step: 's', attempt: 1, run: 2, seq: 0, results: [outcome(a!, 'failed')] })).toBe(true);
    await SendResult.collection.insertOne({ _id: `${d}:1`, batchId, campaign: 'packed', step: 's', sendLogId: d, status: 'sent', at } as never);

    const results = await recordedResults(store, { campaign: 'packed' });
    expect(results.map((r) => [String(r.sendLogId), r.status]).sort()).toEqual([[String(a), 'sent'], [String(b), 'failed'], [String(c), 'skipped'], [String(d), 'sent']].sort());
    expect(results.find((r) => String(r.sendLogId) === String(b))?.at).toEqual(at);
    expect(await resultCountsOfStep(store, 'packed', 's')).toEqual({ sent: 2, failed: 1, skipped: 1 });
    const settled = await settledByEarlierRuns(store, { _id: batchId, attempt: 1, recipients: [a!, b!, c!, d!].map((sendLogId) => ({ sendLogId })) }, 3);
    expect([...settled].sort()).toEqual([a, b, c, d].map(String).sort());
  });

  it('step counts take each outcome once across interleaved pages of several batches (each batch\'s runs deduplicated)', async () => {
    const [b1, b2] = [new Types.ObjectId(), new Types.ObjectId()];
    const ids = Array.from({ length: 4 }, () => new Types.ObjectId());
    const outcome = (sendLogId: Types.ObjectId, status: SendOutcome['status']): SendOutcome => ({ sendLogId, status, at });
    const page = (batchId: Types.ObjectId, run: number, seq: number, results: SendOutcome[]) =>
      recordResultPage(store, { _id: `${batchId}:${run}:${seq}`, batchId, campaign: 'interleaved', step: 's', attempt: 1, run, seq, results });
    // written in the order two workers would interleave them; run 2 of b2 records ids[3] again
    await page(b2, 2, 0, [outcome(ids[3]!, 'failed')]);
    await page(b1, 1, 0, [outcome(ids[0]!, 'sent'), outcome(ids[1]!, 'sent')]);
    await page(b2, 1, 0, [outcome(ids[2]!, 'skipped'), outcome(ids[3]!, 'sent')]);
    await page(b1, 1, 1, [outcome(ids[1]!, 'failed')]);
    expect(await resultCountsOfStep(store, 'interleaved', 's')).toEqual({ sent: 3, skipped: 1 });
    expect(await countDelivered(store, 'interleaved')).toBe(3);
  });

  it('a privacy export finds a member\'s outcomes inside packed pages', async () => {
    const memberId = new Types.ObjectId();
    const sendLogId = new Types.ObjectId();
    const { SendLog } = await ledgerModels(store);
    await SendLog.collection.insertOne({ _id: sendLogId, key: `x:${memberId}`, campaign: 'export', step: 's', occurrence: '', memberId, email: 'x@example.org', template: 't', status: 'pending', dueAt: at, messageId: `<${sendLogId}@test>` } as never);
    const batchId = new Types.ObjectId();
    await recordResultPage(store, { _id: `${batchId}:1:0`, batchId, campaign: 'export', step: 's', attempt: 1, run: 1, seq: 0, results: [{ sendLogId: new Types.ObjectId(), status: 'sent', at }, { sendLogId, status: 'sent', at }] });
    const record = await ledgerRecordOf(store, memberId, 'x@example.org');
    expect(record.results).toEqual([{ sendLogId, status: 'sent', at, reason: undefined }]);
  });
});
