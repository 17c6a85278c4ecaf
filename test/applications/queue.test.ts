// The review queue on the business-day clock: overdue and due-soon applications, the
// managers' digest sent by its Agenda job once per business day, and the KPIs, all on an
// injected clock against the real database and a real SMTP sink.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/db.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { testConfig } from '../support/engine.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { ManualClock } from '../../engine/clock.ts';
import {
  applicationKpis, applicationStats, decideApplication, listApplications, REVIEW_DIGEST_JOB, submitApplication,
} from '../../engine/applications/index.ts';
import type { Store } from '../../engine/store/index.ts';

let store: Store;
let sink: SmtpSink;
let engine: Engine;
const clock = new ManualClock('2026-03-02T10:00:00Z');
const ids: Record<string, string> = {};

async function apply(key: string, at: string, licence = 'Proprietary') {
  clock.set(at);
  const r = await submitApplication(engine.applications, 'open-source', {
    name: `Maintainer <${key}>`, email: `${key}@oss.example`, repository: `https://git.example/${key}`, licence,
  }, clock.now());
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  ids[key] = r.application._id;
  return r.application;
}

beforeAll(async () => {
  store = await openTestStore('applications_queue');
  sink = await SmtpSink.start();
  engine = await createEngine(testConfig({ SMTP_URL: sink.url }), { store, clock, campaigns: [], processEveryMs: 100 });
  // open source promises a decision within 5 business days, in UTC
  await apply('alpha', '2026-03-02T10:00:00Z');   // Monday -> due by the end of Monday 9 March
  await apply('bravo', '2026-03-04T10:00:00Z');   // Wednesday -> end of Wednesday 11 March
  await apply('charlie', '2026-03-06T18:00:00Z'); // Friday -> end of Friday 13 March
  await apply('delta', '2026-03-10T08:00:00Z');   // Tuesday -> end of Tuesday 17 March
});
afterAll(async () => { await engine?.close(); await sink?.close(); await store?.close(); });

describe('the review queue', () => {
  it('lists overdue applications by the business-day clock, soonest due first', async () => {
    const now = new Date('2026-03-11T09:00:00Z'); // Wednesday
    expect((await listApplications(engine.applications, { program: 'open-source', status: 'overdue' }, now)).map((a) => a.email)).toEqual(['alpha@oss.example']);
    expect((await listApplications(engine.applications, { status: 'pending' }, now)).map((a) => a.email)).toEqual(['alpha@oss.example', 'bravo@oss.example', 'charlie@oss.example', 'delta@oss.example']);
    // the weekend does not make bravo overdue early: on Saturday 7 March it still has 3 business days
    expect((await listApplications(engine.applications, { status: 'overdue' }, new Date('2026-03-07T12:00:00Z')))).toHaveLength(0);
  });

  it('the Agenda job emails the managers a digest of overdue and due-soon applications, once per business day', async () => {
    clock.set('2026-03-11T09:00:00Z'); // Wednesday, after 08:00 in the program zone
    await engine.scheduler.start({ recurring: false });
    await engine.scheduler.agenda.now(REVIEW_DIGEST_JOB);
    await sink.waitForMessages(1);
    const [digest] = sink.messages;
    expect(digest!.to).toEqual(['oss-team@flywheel.example']);
    expect(digest!.subject).toBe('[open-source] Applications: 1 overdue, 2 due within 2 business days');
    expect(digest!.text).toContain(`${ids.alpha}  Maintainer <alpha> <alpha@oss.example>  OVERDUE by 2 business days`);
    expect(digest!.text).toContain(`${ids.bravo}  Maintainer <bravo> <bravo@oss.example>  due today`);
    expect(digest!.text).toContain(`${ids.charlie}  Maintainer <charlie> <charlie@oss.example>  due in 2 business days`);
    expect(digest!.text).not.toContain('delta');
    // what applicants typed is escaped in the HTML part
    expect(digest!.html).toContain('Maintainer &lt;alpha&gt;');
    expect(digest!.html).not.toContain('Maintainer <alpha>');

    // the job runs every hour: the same day sends nothing more
    clock.set('2026-03-11T15:00:00Z');
    await engine.scheduler.agenda.now(REVIEW_DIGEST_JOB);
    await new Promise((r) => setTimeout(r, 1500));
    expect(sink.messages).toHaveLength(1);
    // Saturday is not a business day: no digest
    clock.set('2026-03-14T09:00:00Z');
    await engine.scheduler.agenda.now(REVIEW_DIGEST_JOB);
    await new Promise((r) => setTimeout(r, 1500));
    expect(sink.messages).toHaveLength(1);
  });
});

describe('KPIs', () => {
  it('counts received, decided, auto share, median business days to award, the window and overdue per program', async () => {
    // charlie awarded by a person on Tuesday 10 March (2 business days after Friday), delta awarded by the rule at once
    await decideApplication(engine.applications, ids.charlie!, { decision: 'award', by: { kind: 'person', name: 'ola' }, reason: 'fine' }, new Date('2026-03-10T12:00:00Z'));
    await apply('echo', '2026-03-12T09:00:00Z', 'MIT'); // auto-awarded, 0 business days
    await decideApplication(engine.applications, ids.bravo!, { decision: 'decline', by: { kind: 'person', name: 'ola' }, reason: 'not open source' }, new Date('2026-03-16T12:00:00Z')); // after its due date

    const rows = await applicationStats(engine.applications, { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-04-01T00:00:00Z') }, new Date('2026-03-20T12:00:00Z'));
    const oss = rows.find((r) => r.program === 'open-source');
    const all = rows.find((r) => r.program === '*');
    expect(rows.find((r) => r.program === 'education')).toMatchObject({ received: 0, decided: 0, overdue: 0 });
    expect(oss).toMatchObject({
      program: 'open-source', received: 5, decided: 3, awarded: 2, declined: 1, auto: 1, manual: 2,
      autoShare: 0.3333, medianBusinessDaysToAward: 1, withinWindowShare: 0.6667,
      // alpha (due 9 March) and delta (due 17 March) are still open on 20 March
      overdue: 2,
    });
    expect(all).toMatchObject({ program: '*', received: 5, decided: 3 });
  });

  it('the pure KPI function handles an empty period and an even number of awards', () => {
    const d = (day: number, businessDays: number, kind = 'person') => ({ program: 'p', decision: 'award' as const, by: { kind }, at: new Date(Date.UTC(2026, 2, day)), dueAt: new Date(Date.UTC(2026, 2, 20)), businessDays });
    const k = applicationKpis('p', [], [d(2, 1), d(3, 4), d(4, 2, 'rule'), d(5, 9)], new Date(Date.UTC(2026, 2, 1)), new Date(Date.UTC(2026, 3, 1)), new Date(Date.UTC(2026, 3, 1)));
    expect(k).toMatchObject({ decided: 4, medianBusinessDaysToAward: 3, autoShare: 0.25, withinWindowShare: 1, received: 0, overdue: 0 });
    expect(applicationKpis('p', [], [], new Date(0), new Date(1), new Date(1))).toMatchObject({ autoShare: null, medianBusinessDaysToAward: null, withinWindowShare: null });
  });
});
