import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eraseMember, exportMember } from '../../engine/audience/index.ts';
import { InvalidInputError } from '../../engine/errors.ts';
import type { Store } from '../../engine/store/index.ts';
import { openTestStore } from '../support/db.ts';
import { Types } from 'mongoose';
import { ledgerModels, type BatchRecipient } from '../../engine/ledger/models.ts';
import { packRecipients, unpackRecipients } from '../../engine/ledger/batches.ts';

let store: Store;
const packedBatchId = new Types.ObjectId();
const recipient = (memberId: Types.ObjectId, email: string, name: string): BatchRecipient => ({
  sendLogId: new Types.ObjectId(), occurrence: '', messageId: `<${name}@test>`, memberId, email, name, program: 'education',
  locale: 'en', timezone: 'UTC', country: 'GB', attributes: { team: 'compilers' },
});
const now = new Date('2026-06-15T12:00:00Z');

beforeAll(async () => { store = await openTestStore('audience-privacy'); });
afterAll(async () => { await store.close(); });

describe('member privacy', () => {
  it('exports everything held on an address, matched case-insensitively', async () => {
    const m = await store.models.Member.create({ email: 'ada@example.org', name: 'Ada', program: 'education', country: 'GB', tags: ['teacher'], attributes: { school: 'Analytical' } });
    await (await ledgerModels(store)).SendLog.collection.insertOne({ key: `k:${m._id}`, campaign: 'c', step: 's', occurrence: '', memberId: m._id, email: m.email, template: 't', status: 'sent', dueAt: now, messageId: '<m1@test>', payload: { itemIds: ['a'] } });
    await store.db.collection('send_batches').insertOne({ campaign: 'c', recipients: [{ memberId: m._id, email: m.email, name: 'Ada' }] });
    // a queued batch as planning writes it now: recipients packed in one binary value
    const other = recipient(new Types.ObjectId(), 'grace@example.org', 'Grace');
    await (await ledgerModels(store)).BatchRecipients.collection.insertOne(packRecipients(packedBatchId, [recipient(m._id, m.email, 'Ada'), other]) as never);
    await store.db.collection<{ _id: string; sent: number }>('counters').insertOne({ _id: 'campaign:c', sent: 1 });
    const data = await exportMember(store, 'ADA@example.org');
    expect(data.member).toMatchObject({ email: 'ada@example.org', name: 'Ada', country: 'GB' });
    expect(data.sends).toHaveLength(1);
  });

  it('erasure removes personal data but keeps the member document and the counters', async () => {
    await (await ledgerModels(store)).Suppression.collection.insertOne({ key: 'ada@example.org', email: 'ada@example.org', reason: 'manual', at: now });
    const { memberId } = await eraseMember(store, 'ada@example.org', now, 'a-test-secret-of-enough-length');
    const m = await store.models.Member.findById(memberId).lean();
    expect(m).toMatchObject({ email: `erased-${memberId}@erased.invalid`, name: '', tags: [], attributes: {}, program: 'education' });
    expect(m?.country).toBeUndefined();
    expect(m?.erasedAt?.toISOString()).toBe(now.toISOString());
    const log = await (await ledgerModels(store)).SendLog.findOne({ memberId: m!._id }).lean();
    expect(log?.email).toBe(`erased-${memberId}@erased.invalid`);
    expect(log?.payload).toBeUndefined();
    expect(await (await ledgerModels(store)).Suppression.countDocuments({ email: 'ada@example.org' })).toBe(0);
    const batch = await store.db.collection('send_batches').findOne({});
    expect(batch?.recipients).toEqual([{ memberId: m!._id, email: `erased-${memberId}@erased.invalid`, name: '', country: null, attributes: {} }]);
    const packed = await (await ledgerModels(store)).BatchRecipients.collection.findOne({ _id: packedBatchId });
    const [ada, grace] = unpackRecipients(packed as never);
    expect(ada).toMatchObject({ memberId: m!._id, email: `erased-${memberId}@erased.invalid`, name: '', attributes: {} });
    expect(ada?.country ?? undefined).toBeUndefined();
    expect(grace).toMatchObject({ email: 'grace@example.org', name: 'Grace', attributes: { team: 'compilers' } });
    expect((await store.db.collection<{ _id: string; sent: number }>('counters').findOne({ _id: 'campaign:c' }))?.sent).toBe(1);
    await expect(exportMember(store, 'ada@example.org')).rejects.toBeInstanceOf(InvalidInputError);
  });
});
