// Membership figures follow member changes: a report reads a packed snapshot of the members'
// facts kept current through the member-changes journal every member write leaves (and opens,
// clicks and sends do not), so after an update,
// a re-import, an application-style new member or an erasure the figures are exactly what a full
// read of the members gives; `kpis rebuild` rebuilds the snapshot from the members and says
// where it differed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/db.ts';
import { buildReport } from '../../engine/reports/report.ts';
import { compareMemberFacts, currentMemberFacts, MEMBER_FACTS_COLLECTION, readAllMemberFacts } from '../../engine/reports/member-facts.ts';
import { checkMemberFacts, rebuildRollups } from '../../engine/reports/rebuild.ts';
import { writeMemberBatch } from '../../engine/audience/members/write.ts';
import { eraseMember } from '../../engine/audience/members/privacy.ts';
import { dropMemberChangesBelow, markPlanningInputs, memberChanges } from '../../engine/store/plan-marks.ts';
import type { Store } from '../../engine/store/index.ts';
import { d, ids, options, seedEngagement, seedMembers } from './history.ts';

let store: Store;
beforeAll(async () => {
  store = await openTestStore('reports_member_facts');
  await seedMembers(store);
  await seedEngagement(store);
});
afterAll(async () => { await store?.close(); });

const figures = async (program: string) => {
  const { programs } = await buildReport(store, options);
  const p = programs.find((x) => x.program === program)!;
  return { newMembers: p.newMembers, activeAtEnd: p.activeAtEnd, renewalsDue: p.renewalsDue, renewed: p.renewed, lapsed: p.lapsed, pending: p.pending, renewalRate: p.renewalRate, returning: p.returningYearOverYear, days: p.timeToAward.days };
};
const agreesWithMembers = async () => expect(compareMemberFacts(await currentMemberFacts(store), await readAllMemberFacts(store))).toEqual({ missing: [], extra: [], changed: [] });

describe('membership figures follow member changes', () => {
  it('the first report keeps a snapshot of a few documents, and its figures are those of the known history', async () => {
    expect(await figures('education')).toEqual({ newMembers: 3, activeAtEnd: 5, renewalsDue: 3, renewed: 1, lapsed: 1, pending: 1, renewalRate: 0.5, returning: 1, days: [1, 2, 15] });
    const docs = await store.db.collection(MEMBER_FACTS_COLLECTION).find({}).toArray();
    expect(docs.map((x) => x.type).sort()).toEqual(['header', 'part']);
    await agreesWithMembers();
  });

  it('a re-import that records a renewal turns a lapse into a renewal, and the member active and returning', async () => {
    const renewedTo = d('2027-03-01');
    await writeMemberBatch(store, [{ email: 'e@example.org', set: { expiresAt: renewedTo, renewals: [{ renewedAt: d('2026-02-20'), expiresAt: renewedTo }] } }], d('2026-12-20'));
    expect(await figures('education')).toEqual({ newMembers: 3, activeAtEnd: 6, renewalsDue: 3, renewed: 2, lapsed: 0, pending: 1, renewalRate: 1, returning: 2, days: [1, 2, 15] });
    await agreesWithMembers();
  });

  it('an update through the model (a late renewal) and a new member awarded in two business days count at once', async () => {
    await store.models.Member.updateOne({ _id: ids.H }, { $set: { expiresAt: d('2027-08-01') }, $push: { renewals: { renewedAt: d('2026-08-10'), expiresAt: d('2027-08-01') } } });
    expect(await figures('startups')).toEqual({ newMembers: 0, activeAtEnd: 2, renewalsDue: 2, renewed: 2, lapsed: 0, pending: 0, renewalRate: 1, returning: 2, days: [] });
    // applied Monday, awarded Wednesday
    await store.models.Member.create({ email: 'new@example.org', program: 'education', status: 'active', appliedAt: d('2026-06-01'), awardedAt: d('2026-06-03'), expiresAt: d('2027-06-03') });
    expect(await figures('education')).toEqual({ newMembers: 4, activeAtEnd: 7, renewalsDue: 3, renewed: 2, lapsed: 0, pending: 1, renewalRate: 1, returning: 2, days: [1, 2, 2, 15] });
    await agreesWithMembers();
  });

  it('an erased member still counts, under its new anonymous id', async () => {
    const before = await figures('education');
    const { memberId } = await eraseMember(store, 'c@example.org', d('2026-12-20'), 'test-secret');
    expect(await figures('education')).toEqual(before);
    const facts = await currentMemberFacts(store);
    expect(facts.has(String(ids.C))).toBe(false);
    expect(facts.get(memberId)).toMatchObject({ program: 'education', awardedAt: d('2026-05-22') });
    await agreesWithMembers();
  });

  it('when the marks after the snapshot were dropped, the report reads every member once and is right', async () => {
    // F's term cut short, then the journal trimmed past it: the entry naming F is gone
    await store.models.Member.updateOne({ _id: ids.F }, { $set: { expiresAt: d('2026-12-01') } });
    const free = await memberChanges.firstFree(store.db);
    await dropMemberChangesBelow(store.db, free);
    expect(await memberChanges.exists(store.db, free - 1)).toBe(false);
    expect(await figures('education')).toMatchObject({ renewalsDue: 3, lapsed: 1, pending: 0, activeAtEnd: 6 });
    await agreesWithMembers();
  });

  it('opens, clicks and sends (planning marks for every member) leave the snapshot as it is: no member is re-read', async () => {
    await buildReport(store, options);
    const header = async () => (await store.db.collection(MEMBER_FACTS_COLLECTION).findOne({ type: 'header' }))!;
    const before = await header();
    const everyone = [...(await readAllMemberFacts(store)).keys()];
    await markPlanningInputs(store.db, { members: everyone });
    await markPlanningInputs(store.db, { allMembers: true });
    const after = await figures('education');
    expect(await header()).toMatchObject({ gen: before.gen, marks: before.marks });
    expect(after.activeAtEnd).toBeGreaterThan(0);
    // while a model write of one member is caught up by re-reading that member alone
    await store.models.Member.updateOne({ _id: ids.H }, { $set: { appliedAt: d('2025-06-01') } });
    await figures('startups');
    expect(await header()).toMatchObject({ gen: before.gen + 1, marks: before.marks + 1 });
    await agreesWithMembers();
  });

  it('kpis rebuild finds a member the snapshot missed, rebuilds the snapshot from the members, and then agrees', async () => {
    // a raw write that leaves no mark, after the snapshot caught up
    await buildReport(store, options);
    await store.models.Member.collection.updateOne({ _id: ids.F }, { $set: { expiresAt: d('2026-12-28') } });
    expect(await checkMemberFacts(store, false)).toEqual({ missing: [], extra: [], changed: [String(ids.F)] });
    const outcome = await rebuildRollups(store, d('2026-12-20T13:00:00Z'));
    expect(outcome.membership).toEqual({ missing: [], extra: [], changed: [String(ids.F)] });
    expect(await figures('education')).toMatchObject({ renewalsDue: 3, lapsed: 0, pending: 1, activeAtEnd: 7 });
    expect((await rebuildRollups(store, d('2026-12-20T13:00:01Z'))).membership).toEqual({ missing: [], extra: [], changed: [] });
    await agreesWithMembers();
  });

  it('a batch of 250 new members (more than a lookup each is worth) is read in one pass, and counts', async () => {
    // applied Monday, awarded Thursday: 3 business days
    await store.models.Member.insertMany(Array.from({ length: 250 }, (_, i) => ({
      email: `batch${i}@example.org`, program: 'education', status: 'active', appliedAt: d('2026-09-28'), awardedAt: d('2026-10-01'), expiresAt: d('2027-10-01'),
    })));
    const f = await figures('education');
    expect({ newMembers: f.newMembers, activeAtEnd: f.activeAtEnd, threes: f.days.filter((x) => x === 3).length }).toEqual({ newMembers: 254, activeAtEnd: 257, threes: 250 });
    await agreesWithMembers();
  });
});
