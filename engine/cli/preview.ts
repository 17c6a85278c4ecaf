// `flywheel preview CAMPAIGN [STEP] --sample | --member EMAIL`: renders one
// message to files (HTML, text, headers; PNGs with --screenshot) and prints
// their paths. --sample needs no database: data comes from templates/*.sample.json;
// --member reads the member and plans the step's data (render/preview-data.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { withExitCodes } from './exit-codes.ts';
import { Command, Option } from 'commander';
import type { CampaignDefinition, LoadedCampaign, MessageSpec } from '../campaigns/index.ts';
import type { Config } from '../config.ts';
import { FlywheelError } from '../errors.ts';
import type { MemberView, RenderedMessage } from '../render/index.ts';
import type { SendRef } from '../render/types.ts';
import type { MemberPreviewLoader, PreviewMessage } from '../render/preview-data.ts';

export type { MemberPreviewLoader, PreviewMessage } from '../render/preview-data.ts';

export interface PreviewDeps {
  loadMemberPreview?: MemberPreviewLoader;
  config?: Config;
  print?: (line: string) => void;
}

/** Previews carry a token for a send that does not exist: its links are valid-looking but record nothing. */
const PREVIEW_SEND = { sendLogId: '000000000000000000000000', campaign: 'preview', step: 'preview', sentAt: new Date(0) };

export function previewCommand(deps: PreviewDeps = {}): Command {
  return new Command('preview')
    .description('Render one message of a campaign step to files (HTML, text, headers) and print their paths')
    .argument('<campaign>', 'campaign name (or, with --sample, a template name such as "newsletter")')
    .argument('[step]', 'step id (e.g. "welcome", "invite"); optional for single-step campaigns and templates')
    .addOption(new Option('--member <email>', "render for this member, with the step's real data (needs the database)").conflicts('sample'))
    .option('--sample', 'render with the sample member and data kept beside the template (templates/<name>.sample.json)')
    .option('--out <dir>', 'folder for the files', 'previews')
    .option('--screenshot', 'also write PNGs through headless Chromium: desktop, 375px mobile, and dark mode')
    .addHelpText('after', `
Examples:
  flywheel preview newsletter --sample --screenshot
  flywheel preview renewal-yearly days-30 --sample
  flywheel preview onboarding-education welcome --member ada@example.com

Links in a preview are signed with a placeholder send-log id; they open the real click tracker.`)
    .action(withExitCodes(async (campaign: string, step: string | undefined, opts: { member?: string; sample?: boolean; out: string; screenshot?: boolean }) => {
      const print = deps.print ?? ((line: string) => console.log(line));
      if (!opts.member && !opts.sample) throw new FlywheelError('USAGE', 'Choose --sample or --member EMAIL.');
      const config = deps.config ?? (await import('../config.ts')).loadConfig();
      const message = opts.sample
        ? await sampleMessage(config, campaign, step)
        : await memberMessage(deps, config, campaign, step, opts.member!);
      const paths = await writePreview(config, message, join(opts.out, [campaign, step].filter(Boolean).join('-')), opts.screenshot === true);
      for (const p of paths) print(p);
    }));
}

async function sampleMessage(config: Config, campaign: string, step: string | undefined): Promise<PreviewMessage> {
  const [{ loadSample }, { sampleSends }, { kindOf }] = await Promise.all([import('../render/samples.ts'), import('../planner/samples.ts'), import('../campaigns/index.ts')]);
  const templatesDir = config.FLYWHEEL_TEMPLATES_DIR;
  const found = await findCampaign(config, campaign);
  if (!found) {
    // CAMPAIGN names a template
    const sample = loadSample(templatesDir, campaign);
    return { template: campaign, subject: sample.subject, preheader: sample.preheader, data: sample.data, member: sample.member };
  }
  const spec = stepMessage(kindOf, found.definition, step ?? found.steps[0]!);
  if (!spec) {
    throw new FlywheelError('PREVIEW_UNKNOWN_STEP', `Campaign "${campaign}" has no step "${step}" (steps: ${found.steps.join(', ')}).`);
  }
  const sample = loadSample(templatesDir, spec.template);
  // The data the planner would give this step (for a made-up member), the same data
  // `flywheel validate` renders with; the template's sample fills in what planning cannot
  // (e.g. digest items when the database has no content yet).
  const planned = sampleSends(found).get(step ?? found.steps[0]!)?.data ?? {};
  return {
    template: spec.template,
    subject: spec.subject,
    preheader: spec.preheader,
    data: { ...sample.data, ...(spec.data ?? {}), ...planned, ...fillEmpty(planned, sample.data) },
    member: sample.member,
  };
}

/** Sample values for the keys the plan left empty (an empty digest, say), so a preview shows content. */
function fillEmpty(planned: Record<string, unknown>, sample: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(planned)) {
    if ((Array.isArray(v) && v.length === 0) || v === undefined || v === null) if (k in sample) out[k] = sample[k];
  }
  return out;
}

async function memberMessage(deps: PreviewDeps, config: Config, campaign: string, step: string | undefined, email: string): Promise<PreviewMessage> {
  if (deps.loadMemberPreview) return deps.loadMemberPreview({ campaign, step, email });
  const [{ createMemberPreviewLoader }, { loadProjectCampaigns, withStoreOnly }] = await Promise.all([import('../render/preview-data.ts'), import('../main.ts')]);
  return withStoreOnly(config, (store) => createMemberPreviewLoader({ store, campaigns: () => loadProjectCampaigns(config) })({ campaign, step, email }));
}

async function findCampaign(config: Config, name: string): Promise<LoadedCampaign | undefined> {
  try {
    const { loadProjectCampaigns } = await import('../main.ts');
    return (await loadProjectCampaigns(config)).find((c) => c.name === name);
  } catch {
    // a broken campaigns folder should not stop previewing a template by name; `flywheel validate` reports it
    return undefined;
  }
}

/** The message a step sends; undefined when the step id does not exist. */
function stepMessage(kindOf: typeof import('../campaigns/index.ts').kindOf, def: CampaignDefinition, step: string): MessageSpec | undefined {
  return kindOf(def).messages(def).find((m) => m.step === step)?.spec;
}

/**
 * Write the message files. `send` is the send the links and headers are signed for: a
 * placeholder by default; a real send's reference reproduces exactly what it delivered.
 */
export async function writePreview(config: Config, message: PreviewMessage, outDir: string, screenshot: boolean, send: SendRef = PREVIEW_SEND): Promise<string[]> {
  const [{ createRendering }, { messageHeaders }, { screenshotHtml }] = await Promise.all([import('../main.ts'), import('../render/headers.ts'), import('../render/screenshot.ts')]);
  const { renderer, urls, from } = createRendering(config);
  const rendered = await renderer.render({ ...message, send });
  mkdirSync(outDir, { recursive: true });
  const files = {
    html: join(outDir, 'message.html'),
    text: join(outDir, 'message.txt'),
    headers: join(outDir, 'headers.txt'),
  };
  writeFileSync(files.html, rendered.html);
  writeFileSync(files.text, rendered.text);
  writeFileSync(files.headers, headerLines(config, message.member, rendered, messageHeaders(urls, from, urls.recipient({ ...send, memberId: message.member.id, program: message.member.program }), send)));
  const paths = Object.values(files);
  if (screenshot) {
    const shots = [
      { path: join(outDir, 'desktop.png'), width: 800 },
      { path: join(outDir, 'mobile.png'), width: 375 },
      { path: join(outDir, 'dark.png'), width: 800, colorScheme: 'dark' as const },
    ];
    await screenshotHtml(rendered.html, shots);
    paths.push(...shots.map((s) => s.path));
  }
  return paths.map((p) => resolve(p));
}

/** headers.txt: the addressing a mail client shows, then the headers the sender adds (render/headers.ts). */
function headerLines(config: Config, member: MemberView, m: RenderedMessage, added: Record<string, string>): string {
  return [
    `From: ${config.FLYWHEEL_FROM}`,
    `To: ${member.name} <${member.email}>`,
    `Subject: ${m.subject}`,
    `X-Preheader: ${m.preheader}`,
    ...Object.entries(added).map(([name, value]) => `${name}: ${value}`),
    '',
  ].join('\n');
}
