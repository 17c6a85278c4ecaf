// `flywheel segments list|count NAME`: preview segment sizes (named segments from
// campaigns/segments.ts, or any campaign's audience by the campaign's name).
import { Command } from 'commander';
import { systemClock } from '../clock.ts';
import { InvalidInputError } from '../errors.ts';
import { printTable } from './campaigns.ts';
import { withExitCodes } from './exit-codes.ts';

/** What the subcommands need, loaded when one runs (not for `--help` or other commands). */
async function segmentModules() {
  const [{ loadConfig }, audience, { loadProjectCampaigns, openStoreOnly }] = await Promise.all([import('../config.ts'), import('../audience/index.ts'), import('../main.ts')]);
  return { loadConfig, loadProjectCampaigns, openStoreOnly, loadNamedSegments: audience.loadNamedSegments, segmentFilter: audience.segmentFilter, audienceFilter: audience.audienceFilter };
}

export function segmentsCommand(): Command {
  const cmd = new Command('segments').description('Named segments and their sizes');
  cmd
    .command('list')
    .description('Named segments and campaign audiences')
    .action(
      withExitCodes(async () => {
        const { loadConfig, loadNamedSegments, loadProjectCampaigns } = await segmentModules();
        const config = loadConfig();
        const segments = await loadNamedSegments(config.FLYWHEEL_CAMPAIGNS_DIR, await loadProjectCampaigns(config));
        printTable(['NAME', 'SOURCE'], segments.map((s) => [s.name, s.source]));
      }),
    );
  cmd
    .command('count <name>')
    .description('How many members a named segment (or a campaign audience) holds right now')
    .action(
      withExitCodes(async (name: string) => {
        const { loadConfig, loadNamedSegments, loadProjectCampaigns, openStoreOnly, segmentFilter, audienceFilter } = await segmentModules();
        const config = loadConfig();
        const campaigns = await loadProjectCampaigns(config);
        const segments = await loadNamedSegments(config.FLYWHEEL_CAMPAIGNS_DIR, campaigns);
        const named = segments.find((s) => s.name === name && s.source === 'campaigns/segments.ts');
        const campaign = campaigns.find((c) => c.name === name);
        if (!named && !campaign) {
          throw new InvalidInputError('SEGMENT_UNKNOWN', `No segment or campaign named "${name}":`, [{ subject: name, message: `known: ${segments.map((s) => s.name).join(', ')}` }], 'Run `flywheel segments list`.');
        }
        const db = await openStoreOnly(config);
        try {
          const now = systemClock.now();
          // a campaign name counts its real audience (topic opt-in, unsubscribed and erased excluded)
          const filter = named ? { $and: [await segmentFilter(db.store, named.node, now), { erasedAt: null }] } : await audienceFilter(db.store, campaign!, now);
          const count = await db.store.models.Member.countDocuments(filter);
          process.stdout.write(`${name}: ${count} member(s)\n`);
        } finally {
          await db.close();
        }
      }),
    );
  return cmd;
}
