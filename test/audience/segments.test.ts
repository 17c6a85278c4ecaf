import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, audienceFilter, matchesSegment, not, or, segmentFilter, where, type Segment } from '../../engine/audience/index.ts';
import { defineCampaign, validateDefinition } from '../../engine/campaigns/index.ts';
import type { Store } from '../../engine/store/index.ts';
import { openTestStore } from '../support/db.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';

let store: Store;
const now = new Date('2026-06-15T12:00:00Z');
const daysAgo = (n: number) => new Date(now.getTime() - n * 86_400_000);

const people = [
  { email: 'ada@example.org', program: 'education', status: 'active', country: 'DE', timezone: 'Europe/Berlin', tags: ['teacher'], attributes: { seats: 30, tier: 'gold' }, awardedAt: daysAgo(10), lastOpenedAt: daysAgo(2), lastEmailedAt: daysAgo(2) },
  { email: 'bob@example.org', program: 'startups', status: 'active', country: 'US', timezone: 'America/New_York', tags: ['founder', 'ai'], attributes: { seats: 4 }, awardedAt: daysAgo(200), lastEmailedAt: daysAgo(30) },
  { email: 'cy@example.org', program: 'startups', status: 'expired', country: 'US', timezone: 'America/Chicago', tags: [], attributes: { seats: 12, tier: 'silver' }, expiresAt: daysAgo(5) },
  { email: 'dee@example.org', program: 'contributor', status: 'active', country: 'IN', timezone: 'Asia/Kolkata', tags: ['ai'], attributes: {}, topics: { newsletter: false, events: true, caseStudies: true }, lastClickedAt: daysAgo(1) },
  { email: 'eve@example.org', program: 'education', status: 'active', country: 'FR', timezone: 'Europe/Paris', tags: [], attributes: {}, unsubscribedAt: daysAgo(3) },
];

beforeAll(async () => {
  store = await openTestStore('audience-segments');
  await store.models.Member.insertMany(people);
});
afterAll(async () => { await store.close(); });

async function emailsIn(segment: Segment): Promise<string[]> {
  const filter = await segmentFilter(store, segment.node, now);
  const found = await store.models.Member.find(filter).lean();
  return found.map((m) => m.email).sort();
}

const cases: Array<[string, Segment, string[]]> = [
  ['program', where.program('startups'), ['bob', 'cy']],
  ['status', where.status('expired'), ['cy']],
  ['any tag', where.hasAnyTag('ai', 'teacher'), ['ada', 'bob', 'dee']],
  ['all tags', where.hasAllTags('founder', 'ai'), ['bob']],
  ['country', where.country('US'), ['bob', 'cy']],
  ['time zone', where.timezone('Europe/Berlin', 'Asia/Kolkata'), ['ada', 'dee']],
  ['absolute date', where.dateAfter('awardedAt', '2026-01-01'), ['ada']],
  ['awarded within 30 days', where.withinLast('awardedAt', 30), ['ada']],
  ['awarded more than 90 days ago', where.moreThanAgo('awardedAt', 90), ['bob']],
  ['expired within the last week', where.withinLast('expiresAt', 7), ['cy']],
  ['attribute gte', where.attribute('seats', 'gte', 10), ['ada', 'cy']],
  ['attribute in', where.attribute('tier', 'in', ['gold', 'silver']), ['ada', 'cy']],
  ['attribute exists', where.attribute('tier', 'exists'), ['ada', 'cy']],
  ['opened any email within 7 days', where.openedAnyWithin(7), ['ada']],
  ['clicked any email within 7 days', where.clickedAnyWithin(7), ['dee']],
  ['not emailed within 14 days', where.notEmailedWithin(14), ['bob', 'cy', 'dee', 'eve']],
  ['and / or / not', and(or(where.program('startups'), where.hasAnyTag('ai')), not(where.status('expired'))), ['bob', 'dee']],
];

describe('segments', () => {
  for (const [name, segment, expected] of cases) {
    it(`${name}: the Mongo filter and the in-memory matcher pick the same members`, async () => {
      const full = expected.map((e) => `${e}@example.org`);
      expect(await emailsIn(segment)).toEqual(full);
      const matched = people.filter((p) => matchesSegment(segment.node, { _id: p.email, ...p }, now)).map((p) => p.email).sort();
      expect(matched).toEqual(full);
    });
  }

  it('"opened campaign X within N days" is answered from send-log records (two-phase)', async () => {
    const ada = await store.models.Member.findOne({ email: 'ada@example.org' }).lean();
    const bob = await store.models.Member.findOne({ email: 'bob@example.org' }).lean();
    const log = (memberId: Types.ObjectId, campaign: string, firstOpenedAt?: Date) => ({
      key: `${campaign}:issue:${memberId}:x`, campaign, step: 'issue', occurrence: 'x', memberId, email: 'x@example.org', template: 'newsletter',
      status: 'sent', dueAt: daysAgo(20), messageId: `<${campaign}.${memberId}@test>`, ...(firstOpenedAt ? { firstOpenedAt } : {}),
    });
    await (await ledgerModels(store)).SendLog.insertMany([log(ada!._id, 'newsletter-education', daysAgo(3)), log(bob!._id, 'newsletter-startups', daysAgo(40)), log(bob!._id, 'newsletter-education')]);
    expect(await emailsIn(where.openedCampaign('newsletter-education', 7))).toEqual(['ada@example.org']);
    expect(await emailsIn(where.openedCampaign('newsletter-startups', 7))).toEqual([]);
    expect(await emailsIn(where.openedCampaign('newsletter-startups', 60))).toEqual(['bob@example.org']);
    expect(await emailsIn(not(where.openedCampaign('newsletter-education', 7)))).toEqual(['bob@example.org', 'cy@example.org', 'dee@example.org', 'eve@example.org']);
  });

  it("a campaign's audience excludes unsubscribed members and those who turned its topic off", async () => {
    const { campaign } = validateDefinition(
      defineCampaign({ kind: 'newsletter', name: 'n', audience: where.status('active'), schedule: { cron: '0 9 1 * *', timezone: 'UTC' }, digest: { maxItems: 3 }, template: 'newsletter', subject: 's' }),
      'campaigns/n.ts',
    );
    const found = await store.models.Member.find(await audienceFilter(store, campaign!, now)).lean();
    expect(found.map((m) => m.email).sort()).toEqual(['ada@example.org', 'bob@example.org']);
  });
});
