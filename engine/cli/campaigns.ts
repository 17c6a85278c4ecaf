// `flywheel campaigns list|register|pause|resume`: campaign lifecycle from the command line.
import { Command } from 'commander';
import type { CampaignStateDoc } from '../store/models.ts';
import type { LoadedCampaign } from '../campaigns/index.ts';
import { systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Store } from '../store/index.ts';
import { withExitCodes } from './exit-codes.ts';

type Campaigns = typeof import('../campaigns/index.ts');

/** The campaigns stage and the store, loaded when a command runs (not for `--help` or other commands). */
async function withStore(fn: (store: Store, config: Config, campaigns: Campaigns) => Promise<void>): Promise<void> {
  const [{ loadConfig }, { withDatabase }, campaigns] = await Promise.all([import('../config.ts'), import('../store/index.ts'), import('../campaigns/index.ts')]);
  const config = loadConfig();
  return withDatabase(config, (store) => fn(store, config, campaigns));
}


export function campaignsCommand(): Command {
  const cmd = new Command('campaigns').description('List, register, pause and resume campaigns');
  cmd
    .command('list')
    .description('Every campaign with its kind, state, version and next run (registers the files first)')
    .option('--json', 'print JSON for machines: name, kind, state, version, file, steps, topic, nextRun, description')
    .action(
      withExitCodes((opts: { json?: boolean }) =>
        withStore(async (store, config, { loadCampaigns, registerCampaigns, kindOf }) => {
          const now = systemClock.now();
          const loaded = await loadCampaigns(config.FLYWHEEL_CAMPAIGNS_DIR);
          await registerCampaigns(store, loaded, now);
          const states = await store.models.CampaignState.find({}).sort({ name: 1 }).lean();
          const rows = states.map((s) => campaignRow(s, loaded.find((c) => c.name === s.name), now, kindOf));
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
            return;
          }
          const when = (r: CampaignRow) => (r.state !== 'active' ? '-' : r.nextRun === 'continuous' ? 'continuous (every tick)' : r.nextRun ?? 'done');
          printTable(['NAME', 'KIND', 'STATE', 'VERSION', 'NEXT RUN (UTC)', 'FILE'], rows.map((r) => [r.name, r.kind, r.state, r.version, when(r), r.file]));
        }),
      ),
    );
  cmd
    .command('register')
    .description('Register the campaign files: record versions, cancel pending sends of removed steps and campaigns')
    .action(
      withExitCodes(() =>
        withStore(async (store, config, { loadCampaigns, registerCampaigns }) => {
          const report = await registerCampaigns(store, await loadCampaigns(config.FLYWHEEL_CAMPAIGNS_DIR), systemClock.now());
          process.stdout.write(`added: ${report.added.join(', ') || '-'}\nchanged: ${report.changed.join(', ') || '-'}\nremoved: ${report.removed.join(', ') || '-'}\ncancelled pending sends: ${report.cancelledSends}\n`);
        }),
      ),
    );
  for (const [verb, state] of [['pause', 'paused'], ['resume', 'active']] as const) {
    cmd
      .command(`${verb} <name>`)
      .description(verb === 'pause' ? 'Stop planning and sending for a campaign until resumed' : 'Resume a paused campaign')
      .action(
        withExitCodes((name: string) =>
          withStore(async (store, _config, { setCampaignState }) => {
            await setCampaignState(store, name, state);
            process.stdout.write(`${name}: ${state}\n`);
          }),
        ),
      );
  }
  return cmd;
}

/** One campaign as `campaigns list` shows it; the JSON form is this object. */
export interface CampaignRow {
  name: string;
  kind: string;
  /** active | paused | removed (a removed campaign's file is gone) */
  state: string;
  version: string;
  file: string;
  steps: string[];
  topic: string | null;
  /** ISO time of the next campaign-wide send, 'continuous' when planned per member on every tick, null when nothing is left */
  nextRun: string | null;
  description: string | null;
}

function campaignRow(s: CampaignStateDoc, c: LoadedCampaign | undefined, now: Date, kindOf: Campaigns['kindOf']): CampaignRow {
  const kind = c ? kindOf(c.definition) : undefined;
  const next = c && kind ? kind.nextRun(c.definition, now) : undefined;
  return {
    name: s.name,
    kind: s.kind,
    state: s.state ?? 'active',
    version: s.version ?? '',
    file: s.file ?? '',
    steps: [...(s.steps ?? [])],
    topic: (c && kind?.topic(c.definition)) ?? null,
    nextRun: next === 'continuous' ? 'continuous' : next ? next.toISOString() : null,
    description: c?.definition.description ?? null,
  };
}

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  process.stdout.write(`${line(header)}\n${rows.map(line).join('\n')}${rows.length ? '\n' : ''}`);
}
