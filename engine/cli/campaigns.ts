// `flywheel campaigns list|register|pause|resume`: campaign lifecycle from the command line.
import { Command } from 'commander';
import { registerCampaigns, setCampaignState } from '../campaigns/index.ts';
import { systemClock } from '../clock.ts';
import { loadConfig, type Config } from '../config.ts';
import type { Store } from '../store/index.ts';
import { loadProjectCampaigns, withStoreOnly } from '../main.ts';
import { withExitCodes } from './exit-codes.ts';

function withStore(fn: (store: Store, config: Config) => Promise<void>): Promise<void> {
  const config = loadConfig();
  return withStoreOnly(config, (store) => fn(store, config));
}

/** kinds planned per member on every scheduler tick, so they have no single next run */
const CONTINUOUS = new Set(['drip', 'renewal', 'case-study', 'application']);

export function campaignsCommand(): Command {
  const cmd = new Command('campaigns').description('List, register, pause and resume campaigns');
  cmd
    .command('list')
    .description('Every campaign with its kind, state, version and next run (registers the files first)')
    .action(
      withExitCodes(() =>
        withStore(async (store, config) => {
          const now = systemClock.now();
          await registerCampaigns(store, await loadProjectCampaigns(config), now);
          const states = await store.models.CampaignState.find({}).sort({ name: 1 }).lean();
          const rows = states.map((s) => [s.name, s.kind, s.state ?? 'active', s.version ?? '', s.state !== 'active' ? '-' : s.nextRunAt ? s.nextRunAt.toISOString() : CONTINUOUS.has(s.kind) ? 'continuous (every tick)' : 'done', s.file ?? '']);
          printTable(['NAME', 'KIND', 'STATE', 'VERSION', 'NEXT RUN (UTC)', 'FILE'], rows);
        }),
      ),
    );
  cmd
    .command('register')
    .description('Register the campaign files: record versions, cancel pending sends of removed steps and campaigns')
    .action(
      withExitCodes(() =>
        withStore(async (store, config) => {
          const report = await registerCampaigns(store, await loadProjectCampaigns(config), systemClock.now());
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
          withStore(async (store) => {
            await setCampaignState(store, name, state);
            process.stdout.write(`${name}: ${state}\n`);
          }),
        ),
      );
  }
  return cmd;
}

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  process.stdout.write(`${line(header)}\n${rows.map(line).join('\n')}${rows.length ? '\n' : ''}`);
}
