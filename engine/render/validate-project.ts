// `flywheel validate`: every campaign file loads and validates, every referenced template
// exists, campaign-engagement segments name real campaigns, and (when the render stage is
// available) every step's subject, preheader and template render with the data the planner gives them.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError, type InputIssue } from '../errors.ts';
import type { SegmentNode } from '../audience/segment.ts';
import { loadCampaigns } from '../campaigns/load.ts';
import { sampleSends, stepMessages } from '../planner/samples.ts';
import type { LoadedCampaign } from '../campaigns/types.ts';

export interface TemplateChecker {
  check(template: string, sample: { data: Record<string, unknown>; subject: string; preheader?: string }): Promise<InputIssue[]>;
}

export interface ValidationReport {
  campaigns: LoadedCampaign[];
  issues: InputIssue[];
}

function campaignRefs(node: SegmentNode | undefined, path: string): Array<{ campaign: string; path: string }> {
  if (!node) return [];
  if (node.op === 'engaged' && node.campaign) return [{ campaign: node.campaign, path }];
  if (node.op === 'and' || node.op === 'or') return node.of.flatMap((n, i) => campaignRefs(n, `${path}.of[${i}]`));
  if (node.op === 'not') return campaignRefs(node.of, `${path}.of`);
  return [];
}

export async function validateProject(opts: { campaignsDir: string; templatesDir: string; checker?: TemplateChecker }): Promise<ValidationReport> {
  let campaigns: LoadedCampaign[] = [];
  const issues: InputIssue[] = [];
  try {
    campaigns = await loadCampaigns(opts.campaignsDir);
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    issues.push(...e.issues);
    return { campaigns, issues };
  }
  const templates = existsSync(opts.templatesDir) ? readdirSync(opts.templatesDir).filter((f) => f.endsWith('.mjml')).map((f) => f.slice(0, -5)) : [];
  const names = new Set(campaigns.map((c) => c.name));
  for (const c of campaigns) {
    const at = (path: string, message: string): InputIssue => ({ file: c.file, subject: c.name, path: path || undefined, message });
    for (const ref of campaignRefs(c.definition.audience?.node, 'audience')) {
      if (!names.has(ref.campaign)) issues.push(at(ref.path, `segment refers to unknown campaign "${ref.campaign}"`));
    }
    const messages = stepMessages(c);
    const missing = messages.filter((m) => !existsSync(join(opts.templatesDir, `${m.spec.template}.mjml`)));
    for (const m of missing) {
      issues.push(at(`${m.path ? `${m.path}.` : ''}template`, `unknown template "${m.spec.template}" (templates/: ${templates.join(', ') || 'none'})`));
    }
    if (!opts.checker || missing.length) continue;
    let samples: Map<string, { data: Record<string, unknown> }>;
    try {
      samples = sampleSends(c);
    } catch (e) {
      issues.push(at('', `could not plan sample sends: ${(e as Error).message}`));
      continue;
    }
    for (const m of messages) {
      const data = samples.get(m.step)?.data ?? { ...m.spec.data };
      const found = await opts.checker.check(m.spec.template, { data, subject: m.spec.subject, ...(m.spec.preheader !== undefined ? { preheader: m.spec.preheader } : {}) });
      for (const i of found) issues.push({ ...i, subject: `${c.name} › ${m.path || m.step}${i.subject ? ` › ${i.subject}` : ''}`, file: i.file ?? c.file });
    }
  }
  return { campaigns, issues };
}
