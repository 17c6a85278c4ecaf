// One award, everything that follows from it: the member record, its expiry a year later,
// the "awarded" email delivered over SMTP, and the program's onboarding drip planning its
// first step; awarding again is refused and changes nothing. Campaigns are the project's own files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/db.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { testConfig } from '../support/engine.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { drain } from '../../engine/scheduler/drain.ts';
import { ManualClock } from '../../engine/clock.ts';
import { simulate, type PlannerMember } from '../../engine/planner/index.ts';
import { decideApplication, submitApplication } from '../../engine/applications/index.ts';
import type { Store } from '../../engine/store/index.ts';

let store: Store;
let sink: SmtpSink;
let engine: Engine;
// Wednesday 4 March 2026, 14:00 UTC: 09:00 in New York, the education program's zone
const clock = new ManualClock('2026-03-04T14:00:00Z');

beforeAll(async () => {
  store = await openTestStore('applications_award');
  sink = await SmtpSink.start();
  engine = await createEngine(testConfig({ SMTP_URL: sink.url, FLYWHEEL_PUBLIC_URL: 'http://flywheel.test' }), { store, clock, processEveryMs: 100 });
});
afterAll(async () => { await engine?.close(); await sink?.close(); await store?.close(); });

const subjects = (to: string) => sink.messages.filter((m) => m.to.includes(to)).map((m) => m.subject).sort();

describe('an award', () => {
  it('makes the member, sets the expiry, sends the awarded email and starts onboarding; a second award is refused', async () => {
    const submitted = await submitApplication(engine.applications, 'education', {
      name: 'Katherine Johnson', email: 'katherine@westvirginia-state.example', institution: 'West Virginia State', role: 'educator', timezone: 'America/New_York',
    }, clock.now());
    if (!submitted.ok) throw new Error(JSON.stringify(submitted.errors));
    expect(submitted.application.status).toBe('pending');
    const id = submitted.application._id;

    // the applicant hears that we have it, with the date we promise to decide by
    await engine.scheduler.tick(clock.now());
    await drain(engine);
    expect(subjects('katherine@westvirginia-state.example')).toEqual(['We have your application to Flywheel for Education']);
    const received = sink.messages.find((m) => m.subject.startsWith('We have your application'))!;
    expect(received.text).toContain('We will decide by Wednesday 18 March 2026');

    // two business days later (Friday 6 March) a reviewer awards it
    clock.set('2026-03-06T16:30:00Z');
    const awardedAt = clock.now();
    const result = await decideApplication(engine.applications, id, { decision: 'award', by: { kind: 'person', name: 'dana' }, reason: 'taught the NASA course' }, awardedAt);

    const member = await store.models.Member.findOne({ email: 'katherine@westvirginia-state.example' }).lean();
    expect(member).toMatchObject({ program: 'education', status: 'active', name: 'Katherine Johnson', appliedAt: new Date('2026-03-04T14:00:00Z'), awardedAt });
    expect(member!.expiresAt!.toISOString()).toBe('2027-03-06T16:30:00.000Z');
    expect(result.member?.memberId).toBe(String(member!._id));
    const decision = await (await import('../../engine/applications/index.ts')).applicationModels(store).then((m) => m.ApplicationDecision.findById(id).lean());
    expect(decision).toMatchObject({ decision: 'award', by: { kind: 'person', name: 'dana' }, reason: 'taught the NASA course', businessDays: 2 });

    // the planner: the first onboarding step is due at the award
    const onboarding = engine.campaigns.find((c) => c.name === 'onboarding-education')!;
    const plan = simulate({ campaign: onboarding, members: [member as unknown as PlannerMember], content: [], from: awardedAt, days: 30 });
    expect(plan[0]).toMatchObject({ step: 'welcome', email: 'katherine@westvirginia-state.example', dueAt: awardedAt });

    // one tick sends both: the awarded email and the onboarding welcome
    await engine.scheduler.tick(clock.now());
    await drain(engine);
    expect(subjects('katherine@westvirginia-state.example')).toEqual([
      'We have your application to Flywheel for Education',
      'Welcome to Flywheel for Education: step 1 of 3',
      'Welcome to Flywheel for Education: your application is approved',
    ]);
    const awardedMail = sink.messages.find((m) => m.subject.endsWith('your application is approved'))!;
    expect(awardedMail.text).toContain('taught the NASA course');
    expect(awardedMail.text).toContain(`Application reference: ${id}`);

    // awarding again: a clear error; no second member, no second email
    await expect(decideApplication(engine.applications, id, { decision: 'award', by: { kind: 'person', name: 'eve' }, reason: 'double click' }, clock.now()))
      .rejects.toThrow(/already awarded on 2026-03-06T16:30:00.000Z by person "dana"/);
    expect(await store.models.Member.countDocuments({ email: 'katherine@westvirginia-state.example' })).toBe(1);
    expect((await store.models.Member.findById(member!._id).lean())!.awardedAt).toEqual(awardedAt);
    clock.advance(60_000);
    await engine.scheduler.tick(clock.now());
    await drain(engine);
    expect(subjects('katherine@westvirginia-state.example')).toHaveLength(3);
  });

  it('two reviewers awarding at the same moment make one decision, one member, one email', async () => {
    const s = await submitApplication(engine.applications, 'startups', { name: 'Two Clicks', email: 'twice@startup.example', company: 'Twice', companyUrl: 'https://twice.example', fundingStage: 'seed' }, clock.now());
    if (!s.ok) throw new Error('invalid');
    const outcomes = await Promise.allSettled(['ann', 'bob', 'cy'].map((who) =>
      decideApplication(engine.applications, s.application._id, { decision: 'award', by: { kind: 'person', name: who }, reason: `${who} says yes` }, clock.now())));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.code)).toEqual(['APPLICATION_ALREADY_DECIDED', 'APPLICATION_ALREADY_DECIDED']);
    const member = await store.models.Member.findOne({ email: 'twice@startup.example' }).lean();
    expect(new Set(member?.applicationEvents?.filter((e) => e.type === 'awarded').map((e) => e.id)).size).toBe(1);
    await engine.scheduler.tick(clock.now());
    await drain(engine);
    expect(subjects('twice@startup.example').filter((s) => s.endsWith('approved'))).toHaveLength(1);
  });
});
