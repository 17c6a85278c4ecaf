// The public application form and JSON API over real HTTP, on the real database, with the
// programs' own definitions (campaigns/_applications.ts) and a manual clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/db.ts';
import { testConfig } from '../support/engine.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { ManualClock } from '../../engine/clock.ts';
import { applicationModels, decideApplication, type ApplicationModels } from '../../engine/applications/index.ts';
import type { Store } from '../../engine/store/index.ts';

let store: Store;
let engine: Engine;
let base: string;
let models: ApplicationModels;
// Wednesday 4 March 2026, 15:00 UTC (10:00 in New York)
const clock = new ManualClock('2026-03-04T15:00:00Z');
let ip = 0;

beforeAll(async () => {
  store = await openTestStore('applications_intake');
  engine = await createEngine(testConfig({ FLYWHEEL_TRANSPORT: 'outbox', FLYWHEEL_APPLY_RATE_LIMIT: '5' }), { store, campaigns: [], clock });
  const app = await engine.http();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  models = await applicationModels(store);
});
afterAll(async () => { await engine?.close(); await store?.close(); });

/** Each call comes from its own address, so the per-IP limit only bites where a test wants it to. */
function post(program: string, body: Record<string, string>, as: 'json' | 'form' = 'json', from = `10.0.0.${++ip}`) {
  return fetch(`${base}/apply/${program}`, {
    method: 'POST',
    headers: { 'content-type': as === 'json' ? 'application/json' : 'application/x-www-form-urlencoded', 'x-forwarded-for': from },
    body: as === 'json' ? JSON.stringify(body) : new URLSearchParams(body).toString(),
  });
}

const educator = { name: 'Grace Hopper', email: 'grace@navy-school.example', institution: 'Navy School', role: 'educator' };

describe('applying through the JSON API', () => {
  it('a valid application is stored pending, due 10 business days later in the program zone, with an applicant record', async () => {
    const res = await post('education', educator);
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ program: 'education', status: 'pending', resubmitted: false });
    // Wednesday 4 March + 10 business days (New York) = Wednesday 18 March, due by its end (EDT, UTC-4)
    expect(body.dueAt).toBe('2026-03-19T04:00:00.000Z');
    const stored = await models.Application.findById(body.id).lean();
    expect(stored).toMatchObject({ email: 'grace@navy-school.example', fields: { institution: 'Navy School', role: 'educator' } });
    const member = await store.models.Member.findOne({ email: 'grace@navy-school.example' }).lean();
    expect(member).toMatchObject({ status: 'applied', program: 'education' });
    expect(member?.applicationEvents?.map((e) => e.type)).toEqual(['received']);
  });

  it('an invalid application names every bad field and stores nothing', async () => {
    const res = await post('education', { name: '', email: 'not-an-address', institution: 'x'.repeat(300), role: 'dean', shoeSize: '44' });
    expect(res.status).toBe(422);
    const { errors } = await res.json();
    expect(Object.keys(errors).sort()).toEqual(['email', 'institution', 'name', 'role', 'shoeSize']);
    expect(errors.email).toMatch(/not an email address/);
    expect(errors.role).toMatch(/choose one of: educator, student, researcher/);
    expect(errors.institution).toMatch(/at most 200 characters/);
    expect(errors.shoeSize).toMatch(/not a field of this application/);
    expect(await models.Application.countDocuments({ email: 'not-an-address' })).toBe(0);
    expect(await store.models.Member.countDocuments({ email: 'not-an-address' })).toBe(0);
  });

  it('resubmitting the same email to the same program updates the pending application instead of adding one', async () => {
    const first = await (await post('education', { ...educator, email: 'ada@school.example' })).json();
    clock.advance(3_600_000);
    const again = await post('education', { ...educator, email: 'ADA@school.example', institution: 'Analytical Engine College' });
    expect(again.status).toBe(200);
    const body = await again.json();
    expect(body).toMatchObject({ id: first.id, resubmitted: true, dueAt: first.dueAt });
    const all = await models.Application.find({ email: 'ada@school.example' }).lean();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ submissions: 2, fields: { institution: 'Analytical Engine College' } });
  });

  it('an academic address is awarded at once by the rule, which is recorded with its reason', async () => {
    const res = await post('education', { ...educator, email: 'prof@cs.stanford.edu' });
    const body = await res.json();
    expect(body.status).toBe('awarded');
    const decision = await models.ApplicationDecision.findById(body.id).lean();
    expect(decision).toMatchObject({ decision: 'award', by: { kind: 'rule', name: 'academic-email' }, businessDays: 0 });
    expect(decision?.reason).toMatch(/cs\.stanford\.edu/);
    const member = await store.models.Member.findOne({ email: 'prof@cs.stanford.edu' }).lean();
    expect(member).toMatchObject({ status: 'active', program: 'education' });
  });

  it('an OSI licence awards open source; a late-stage startup is declined by its rule', async () => {
    const oss = await (await post('open-source', { name: 'Linus', email: 'linus@kernel.example', repository: 'https://git.example/linux', licence: 'gpl-2.0-only' })).json();
    expect(oss.status).toBe('awarded');
    const late = await (await post('startups', { name: 'Big Co', email: 'cfo@bigco.example', company: 'Big Co', companyUrl: 'https://bigco.example', fundingStage: 'later' })).json();
    expect(late).toMatchObject({ status: 'declined', reason: 'the program is for companies up to Series A' });
  });

  it('a manual award makes an active member; a second award is a clear error and changes nothing', async () => {
    const { id } = await (await post('education', { ...educator, email: 'mary@college.example' })).json();
    clock.advance(2 * 86_400_000);
    const r = await decideApplication(engine.applications, id, { decision: 'award', by: { kind: 'person', name: 'dana' }, reason: 'verified staff page' }, clock.now());
    expect(r.member?.expiresAt).toBeInstanceOf(Date);
    await expect(decideApplication(engine.applications, id, { decision: 'award', by: { kind: 'person', name: 'eve' }, reason: 'again' }, clock.now()))
      .rejects.toThrow(/already awarded .* by person "dana" \(verified staff page\)\. Nothing was changed/);
    await expect(decideApplication(engine.applications, id, { decision: 'decline', by: { kind: 'person', name: 'eve' }, reason: 'no' }, clock.now()))
      .rejects.toMatchObject({ code: 'APPLICATION_ALREADY_DECIDED' });
    expect(await store.models.Member.countDocuments({ email: 'mary@college.example' })).toBe(1);
    expect((await models.Application.findById(id).lean())?.status).toBe('awarded');
  });

  it('a manual decline is recorded with who and why, and the person may apply again later', async () => {
    const { id } = await (await post('contributor', { name: 'Mallory', email: 'mallory@example.net', profile: 'https://example.net/m', contribution: 'none yet' })).json();
    await decideApplication(engine.applications, id, { decision: 'decline', by: { kind: 'person', name: 'sam' }, reason: 'no contributions yet' }, clock.now());
    const declined = await models.Application.findById(id).lean();
    expect(declined).toMatchObject({ status: 'declined', decidedBy: { kind: 'person', name: 'sam' }, decisionReason: 'no contributions yet' });
    const again = await (await post('contributor', { name: 'Mallory', email: 'mallory@example.net', profile: 'https://example.net/m', contribution: 'a talk' })).json();
    expect(again.id).not.toBe(id);
    expect(again.status).toBe('pending');
  });

  it('needs-info round trip: asked, the applicant resubmits, back to pending under the same id, then awarded', async () => {
    const { id } = await (await post('open-source', { name: 'Rich', email: 'rich@lisp.example', repository: 'https://git.example/lisp', licence: 'Proprietary-ish' })).json();
    await decideApplication(engine.applications, id, { decision: 'ask', by: { kind: 'person', name: 'ola' }, reason: 'Which licence exactly? Please give its SPDX id.' }, clock.now());
    expect((await models.Application.findById(id).lean())?.status).toBe('needs-info');
    const member = await store.models.Member.findOne({ email: 'rich@lisp.example' }).lean();
    expect(member?.applicationEvents?.map((e) => [e.type, e.reason ?? ''])).toEqual([['received', ''], ['needs-info', 'Which licence exactly? Please give its SPDX id.']]);
    const back = await (await post('open-source', { name: 'Rich', email: 'rich@lisp.example', repository: 'https://git.example/lisp', licence: 'EPL-1.0 (not on the list)' })).json();
    expect(back).toMatchObject({ id, status: 'pending', resubmitted: true });
    await decideApplication(engine.applications, id, { decision: 'award', by: { kind: 'person', name: 'ola' }, reason: 'EPL-1.0 is OSI approved' }, clock.now());
    expect((await models.Application.findById(id).lean())?.history.map((h) => h.type)).toEqual(['received', 'needs-info', 'resubmitted', 'awarded']);
  });
});

describe('the HTML form', () => {
  it('shows the program fields and a hidden trap, and works as a plain form post', async () => {
    const html = await (await fetch(`${base}/apply/startups`)).text();
    expect(html).toContain('<form method="post" action="/apply/startups"');
    for (const name of ['name', 'email', 'company', 'companyUrl', 'fundingStage', 'website']) expect(html).toContain(`name="${name}"`);
    const res = await post('startups', { name: 'Ida', email: 'ida@tiny.example', company: 'Tiny', companyUrl: 'https://tiny.example', fundingStage: 'seed', website: '' }, 'form');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Thank you, we have your application.');
    expect(await models.Application.countDocuments({ email: 'ida@tiny.example' })).toBe(1);
  });

  it('puts each error next to its field, keeps what was typed, and escapes it', async () => {
    const res = await post('startups', { name: '<script>alert(1)</script>', email: 'oops', company: '', companyUrl: 'ftp://x', fundingStage: 'seed' }, 'form');
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(html).toMatch(/<div class="field invalid"><label for="f-email">Email[^]*?value="oops"[^]*?<p class="error" id="err-email">Email &quot;oops&quot; is not an email address<\/p><\/div>/);
    expect(html).toMatch(/<div class="field invalid"><label for="f-company">[^]*?<p class="error" id="err-company">Company is required/);
    expect(html).toMatch(/<div class="field invalid"><label for="f-companyUrl">[^]*?must be a web address/);
    expect(html).toMatch(/<option value="seed" selected>/);
    expect(html).toContain('Please correct the 3 fields marked below.');
    expect(await models.Application.countDocuments({ email: 'oops' })).toBe(0);
  });

  it('a robot that fills the trap field is thanked and nothing is stored', async () => {
    const res = await post('startups', { name: 'Bot', email: 'bot@spam.example', company: 'Spam', companyUrl: 'https://spam.example', fundingStage: 'seed', website: 'https://spam.example' }, 'form');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Thank you, we have your application.');
    expect(await models.Application.countDocuments({ email: 'bot@spam.example' })).toBe(0);
    expect(await store.models.Member.countDocuments({ email: 'bot@spam.example' })).toBe(0);
  });

  it('an unknown program is a 404 page, not an error', async () => {
    const res = await fetch(`${base}/apply/astronauts`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('does not take applications');
  });
});

describe('abuse limits', () => {
  it('a body over the limit is refused with 413 and nothing is stored', async () => {
    const res = await post('education', { ...educator, email: 'big@school.example', course: 'x'.repeat(20_000) }, 'form');
    expect(res.status).toBe(413);
    expect(await models.Application.countDocuments({ email: 'big@school.example' })).toBe(0);
  });

  it('one address may submit only so often per minute (FLYWHEEL_APPLY_RATE_LIMIT)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await post('education', { ...educator, email: `flood${i}@school.example` }, 'json', '10.9.9.9')).status);
    expect(statuses.slice(0, 5).every((s) => s === 201)).toBe(true);
    expect(statuses.slice(5)).toEqual([429, 429]);
    // another address is not affected
    expect((await post('education', { ...educator, email: 'calm@school.example' }, 'json', '10.9.9.10')).status).toBe(201);
  });
});
