// Feeds to inboxes: a feed publishes, the newsletter's first issue carries the items, a second
// issue carries only what is new, a case study is promoted once, and no member receives any
// item twice across issues and campaigns. Real HTTP feeds, real database, real SMTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/db.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { testConfig } from '../support/engine.ts';
import { FeedServer, atom, rss2 } from './feed-fixtures.ts';
import { createContentPoller, createEngine, type Engine } from '../../engine/main.ts';
import { ManualClock } from '../../engine/clock.ts';
import { defineCampaign, validateDefinition, where, type CampaignDefinition } from '../../engine/campaigns/index.ts';
import type { FeedDefinition } from '../../engine/content/index.ts';
import type { Store } from '../../engine/store/index.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';

const program = { name: 'Flywheel for Education', url: 'https://flywheel.example/education' };

function loaded(def: CampaignDefinition) {
  const { campaign, issues } = validateDefinition(def, `${def.name}.ts`);
  if (!campaign) throw new Error(JSON.stringify(issues));
  return campaign;
}

const newsletter = loaded(defineCampaign({
  kind: 'newsletter', name: 'weekly-digest', audience: where.status('active'),
  schedule: { cron: '0 9 * * 1', timezone: 'UTC' }, // Mondays 09:00
  digest: { maxItems: 10, lookback: { days: 30 } },
  template: 'newsletter', subject: 'Digest #{{issue.number}}',
  data: { program, issue: { title: 'This week' }, intro: 'here is what is new.' },
}));
const caseStudies = loaded(defineCampaign({
  kind: 'case-study', name: 'stories', audience: where.status('active'), tags: ['case-study'],
  template: 'case-study', subject: 'Case study: {{study.title}}', data: { program },
}));

const clock = new ManualClock('2026-06-01T08:00:00Z');
let store: Store;
let sink: SmtpSink;
let server: FeedServer;
let engine: Engine;
const members = ['ada@example.org', 'kenji@example.org'];

const post = (slug: string, title: string, date: string) => ({ title, link: `https://blog.fixture.test/${slug}`, guid: `blog-${slug}`, date, summary: `${title} summary` });
const story = (slug: string, title: string, date: string, summary = 'How they did it.') => ({ title, link: `https://stories.fixture.test/${slug}`, guid: `story-${slug}`, date, summary });

async function sendDue(at: string): Promise<void> {
  clock.set(at);
  await engine.scheduler.tick(clock.now());
  const batches = await (await ledgerModels(store)).SendBatch.find({ finishedAt: null }, { _id: 1 }).lean();
  for (const b of batches) await engine.scheduler.runBatch(String(b._id));
}

/** The titles each member received, one list per message, in arrival order. */
function received(): Map<string, Array<{ subject: string; html: string }>> {
  const out = new Map<string, Array<{ subject: string; html: string }>>();
  for (const m of sink.messages) for (const to of m.to) out.set(to, [...(out.get(to) ?? []), { subject: m.subject, html: m.html }]);
  return out;
}

beforeAll(async () => {
  store = await openTestStore('content_newsletter_e2e');
  sink = await SmtpSink.start();
  server = await FeedServer.start();
  const feeds: FeedDefinition[] = [
    { name: 'blog', url: server.url('/blog.xml'), kind: 'blog' },
    { name: 'stories', url: server.url('/stories.atom'), kind: 'case-study' },
    { name: 'down', url: server.url('/down.xml'), kind: 'blog' },
  ];
  engine = await createEngine(testConfig({ SMTP_URL: sink.url, FLYWHEEL_FREQUENCY_CAP: '0', FLYWHEEL_FEED_TIMEOUT_MS: '1500' }), { store, clock, campaigns: [caseStudies, newsletter], feeds, processEveryMs: 100 });
  for (const email of members) await store.models.Member.create({ email, name: email.split('@')[0], program: 'education', status: 'active', timezone: 'UTC' });
});

afterAll(async () => {
  await engine?.close();
  await server?.close();
  await sink?.close();
  await store?.close();
});

describe('feeds feeding a newsletter and case-study promotion', () => {
  it('issue 1 carries the published items; the case study is promoted (once) instead of repeated in the digest', async () => {
    server.set('/blog.xml', { body: rss2([post('alpha', 'Alpha post', 'Thu, 28 May 2026 10:00:00 GMT'), post('beta', 'Beta post', 'Sat, 30 May 2026 10:00:00 GMT')]) });
    server.set('/stories.atom', { contentType: 'application/atom+xml', body: atom([story('one', 'Story one', '2026-05-31T10:00:00Z')]) });
    const polled = await engine.content.poll();
    expect(polled.map((r) => [r.feed, r.status])).toEqual([['blog', 'updated'], ['stories', 'updated'], ['down', 'failed']]);

    await sendDue('2026-06-01T09:01:00Z');
    await sink.waitForMessages(4);
    for (const email of members) {
      const msgs = received().get(email)!;
      expect(msgs.map((m) => m.subject).sort()).toEqual(['Case study: Story one', 'Digest #1']);
      const digest = msgs.find((m) => m.subject === 'Digest #1')!;
      expect(digest.html).toContain('Alpha post');
      expect(digest.html).toContain('Beta post');
      expect(digest.html).not.toContain('Story one');
    }
  });

  it('an upstream edit updates the stored story without promoting it again; a new story is promoted once', async () => {
    clock.set('2026-06-04T12:00:00Z');
    server.set('/blog.xml', { body: rss2([
      post('alpha', 'Alpha post', 'Thu, 28 May 2026 10:00:00 GMT'), post('beta', 'Beta post', 'Sat, 30 May 2026 10:00:00 GMT'),
      post('gamma', 'Gamma post', 'Wed, 03 Jun 2026 10:00:00 GMT'),
    ]) });
    server.set('/stories.atom', { contentType: 'application/atom+xml', body: atom([
      story('one', 'Story one', '2026-05-31T10:00:00Z', 'Edited upstream: now with numbers.'),
      story('two', 'Story two', '2026-06-04T10:00:00Z'),
    ]) });
    const polled = await engine.content.poll();
    expect(polled.find((r) => r.feed === 'stories')).toMatchObject({ status: 'updated', created: 1, updated: 1 });

    await sendDue('2026-06-04T12:01:00Z');
    await sink.waitForMessages(6);
    await sendDue('2026-06-05T12:00:00Z'); // a later tick changes nothing
    for (const email of members) {
      const subjects = received().get(email)!.map((m) => m.subject);
      expect(subjects.filter((s) => s.startsWith('Case study')).sort()).toEqual(['Case study: Story one', 'Case study: Story two']);
    }
  });

  it('issue 2 carries only the new item, to each member exactly once', async () => {
    await sendDue('2026-06-08T09:01:00Z');
    await sink.waitForMessages(8);
    expect(sink.messages).toHaveLength(8);
    for (const email of members) {
      const msgs = received().get(email)!;
      const second = msgs.find((m) => m.subject === 'Digest #2')!;
      expect(second.html).toContain('Gamma post');
      for (const old of ['Alpha post', 'Beta post', 'Story one', 'Story two']) expect(second.html).not.toContain(old);
      // every item reached this member in exactly one message, whichever campaign carried it
      for (const title of ['Alpha post', 'Beta post', 'Gamma post', 'Story one', 'Story two']) {
        expect(msgs.filter((m) => m.html.includes(title)).length, `${email} / ${title}`).toBe(1);
      }
    }
  });

  it('a slow feed does not hold up an issue: it goes out on time with what is stored', { timeout: 30_000 }, async () => {
    await store.models.Member.create({ email: 'late@example.org', name: 'Late Joiner', program: 'education', status: 'active', timezone: 'UTC' });
    server.set('/blog.xml', { delayMs: 9000, body: rss2([]) });
    clock.set('2026-06-15T09:01:00Z');
    // a poller with a long deadline, so the feed is still hanging while the issue goes out
    const patient = createContentPoller(testConfig({ FLYWHEEL_FEED_TIMEOUT_MS: '6000' }), { store, clock, log: engine.log, feeds: engine.content.feeds.filter((f) => f.name === 'blog') });
    let pollDone = false;
    const polling = patient.poll().then((r) => { pollDone = true; return r; });
    const before = sink.messages.length;
    await sendDue('2026-06-15T09:01:00Z');
    await sink.waitForMessages(before + 1);
    expect(pollDone).toBe(false);
    const issue = sink.messages.slice(before).find((m) => m.to.includes('late@example.org'))!;
    // the newcomer's first issue: everything still inside the 30-day lookback
    for (const title of ['Alpha post', 'Beta post', 'Gamma post']) expect(issue.html).toContain(title);
    const results = await polling;
    expect(results.find((r) => r.feed === 'blog')).toMatchObject({ status: 'failed', code: 'FEED_TIMEOUT' });
  });
});
