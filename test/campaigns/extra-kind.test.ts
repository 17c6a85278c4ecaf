// A new campaign kind is one module and one registration: this file declares a tiny
// "nudge" kind (one message N days after a member is awarded), registers it, and loads,
// validates, plans and sends a campaign of it through the unchanged engine.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadCampaigns, registerKind, type CampaignKindModule, type LoadedCampaign } from '../../engine/campaigns/index.ts';
import { base, message } from '../../engine/campaigns/schema.ts';
import type { MessageSpec } from '../../engine/campaigns/types.ts';
import { validateProject } from '../../engine/render/validate-project.ts';
import { ManualClock } from '../../engine/clock.ts';
import { InvalidInputError } from '../../engine/errors.ts';
import { createEngine, type Engine } from '../../engine/main.ts';
import { ledgerModels } from '../../engine/ledger/models.ts';
import { simulate } from '../../engine/planner/index.ts';
import { ROOT_DIR, type Store } from '../../engine/store/index.ts';
import { openTestStore } from '../support/db.ts';
import { testConfig } from '../support/engine.ts';
import { SmtpSink } from '../support/smtp-sink.ts';

const DAY = 86_400_000;

interface NudgeCampaign extends MessageSpec {
  kind: 'nudge';
  name: string;
  description?: string;
  afterDays: number;
}

const nudge: CampaignKindModule<NudgeCampaign> = {
  kind: 'nudge',
  description: 'one message a number of days after a member is awarded',
  schema: z.object({ ...base, ...message, kind: z.literal('nudge'), afterDays: z.number().int().positive('afterDays must be a positive whole number') }).strict(),
  messages: (def) => [{ step: 'nudge', path: '', spec: def }],
  topic: () => 'newsletter',
  candidates: (def, ctx) => {
    const awarded = ctx.member.awardedAt;
    if (!(awarded instanceof Date)) return [];
    const dueAt = new Date(awarded.getTime() + def.afterDays * DAY);
    return [{ step: 'nudge', occurrence: '', dueAt, until: new Date(dueAt.getTime() + 7 * DAY), spec: def, data: { ...def.data }, topic: 'newsletter', category: 'marketing' }];
  },
  nextRun: () => 'continuous',
  recheckAtSend: 'no',
};
registerKind(nudge);

const dsl = join(ROOT_DIR, 'engine/campaigns/index.ts');
const programs = `import { definePrograms } from '${dsl}';
export default definePrograms({ partners: { displayName: 'Partner Network', url: 'https://partners.example', timezone: 'UTC', topics: ['newsletter'] } });
`;
const nudgeFile = (afterDays: string) => `import { defineCampaign } from '${dsl}';
export default defineCampaign({
  kind: 'nudge',
  name: 'partner-nudge',
  afterDays: ${afterDays},
  template: 'newsletter',
  subject: 'A week with {{program.name}}',
  data: { issue: { title: 'Your first week', number: 1, date: '2026-01-06T09:00:00Z' }, intro: 'here is what partners do first.', items: [{ title: 'Set up', url: 'https://partners.example/setup', summary: 'Start here.', tag: 'Guide', meta: 'Docs' }], cta: { label: 'Open the guide', url: 'https://partners.example/guide' } },
} as never);
`;

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-nudge-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

let store: Store;
let sink: SmtpSink;
let engine: Engine | undefined;
let campaign: LoadedCampaign;
const awardedAt = new Date('2026-03-02T10:00:00Z');
const clock = new ManualClock(new Date(awardedAt.getTime() + 7 * DAY + 60_000));

beforeAll(async () => {
  store = await openTestStore('campaigns_extra_kind');
  sink = await SmtpSink.start();
  [campaign] = (await loadCampaigns(folder({ 'programs.ts': programs, 'partner-nudge.ts': nudgeFile('7') }))) as [LoadedCampaign];
});
afterAll(async () => { await engine?.close(); await sink?.close(); await store?.close(); });

describe('a campaign kind added as one module', () => {
  it('loads and is validated by its own schema, with the field named', async () => {
    expect(campaign).toMatchObject({ kind: 'nudge', steps: ['nudge'] });
    const dir = folder({ 'programs.ts': programs, 'partner-nudge.ts': nudgeFile('-1') });
    const err = (await loadCampaigns(dir).catch((e: unknown) => e)) as InvalidInputError;
    expect(err.issues.map((i) => `${i.path}: ${i.message}`)).toEqual(['afterDays: afterDays must be a positive whole number']);
    // validate renders its template with the data the planner gives it
    const report = await validateProject({ campaignsDir: folder({ 'programs.ts': programs, 'partner-nudge.ts': nudgeFile('7') }), templatesDir: join(ROOT_DIR, 'templates') });
    expect(report.issues).toEqual([]);
  });

  it('is planned by the planner and sent by the engine', async () => {
    const member = { _id: 'p1', email: 'pat@partners.example', name: 'Pat', program: 'partners', status: 'active', timezone: 'UTC', awardedAt };
    const plan = simulate({ campaign, members: [member], content: [], from: awardedAt, days: 30 });
    expect(plan.map((s) => [s.step, s.dueAt.toISOString()])).toEqual([['nudge', '2026-03-09T10:00:00.000Z']]);

    await store.models.Member.create({ email: 'pat@partners.example', name: 'Pat Partner', program: 'partners', status: 'active', timezone: 'UTC', awardedAt });
    engine = await createEngine(testConfig({ SMTP_URL: sink.url }), { store, clock, campaigns: [campaign] });
    const report = await engine.scheduler.plan(campaign, { now: clock.now() });
    expect(report.created).toBe(1);
    for (const b of await (await ledgerModels(store)).SendBatch.find({ campaign: 'partner-nudge' }).lean()) await engine.scheduler.runBatch(String(b._id));
    expect(sink.messages.map((m) => [m.to[0], m.subject])).toEqual([['pat@partners.example', 'A week with Partner Network']]);
  });
});
