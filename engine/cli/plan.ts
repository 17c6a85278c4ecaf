// `flywheel plan CAMPAIGN --days 90`: dry run on a virtual clock. Reads the campaign file,
// the current audience and content from the database, and prints who would receive which
// step when, without writing anything.
import { Command, Option } from 'commander';
import { DateTime } from 'luxon';
import { audienceFilter } from '../audience/index.ts';
import { systemClock } from '../clock.ts';
import { loadConfig } from '../config.ts';
import { InvalidInputError } from '../errors.ts';
import { simulate } from '../planner/index.ts';
import { loadProjectCampaigns, openStoreOnly } from '../main.ts';
import { printTable } from './campaigns.ts';
import { withExitCodes } from './exit-codes.ts';

interface PlanOptions {
  days: number;
  from?: string;
  json?: boolean;
  opens: 'none' | 'all';
  member?: string;
}

export function planCommand(): Command {
  return new Command('plan')
    .description('Simulate a campaign on a virtual clock: who receives which step when (nothing is sent or written)')
    .argument('<campaign>', 'campaign name')
    .option('--days <n>', 'how many days to simulate', (v) => Number.parseInt(v, 10), 90)
    .option('--from <iso>', 'start of the simulation (default: now)')
    .option('--member <email>', 'only this member')
    .addOption(new Option('--opens <who>', 'assume members open every email (engagement branches)').choices(['none', 'all']).default('none'))
    .option('--json', 'print JSON for machines')
    .action(
      withExitCodes(async (name: string, opts: PlanOptions) => {
        if (!Number.isInteger(opts.days) || opts.days <= 0) throw new InvalidInputError('USAGE', 'Bad option:', [{ path: '--days', message: 'must be a positive whole number' }]);
        const from = opts.from ? new Date(opts.from) : systemClock.now();
        if (Number.isNaN(from.getTime())) throw new InvalidInputError('USAGE', 'Bad option:', [{ path: '--from', message: 'must be an ISO date-time' }]);
        const config = loadConfig();
        const campaigns = await loadProjectCampaigns(config);
        const campaign = campaigns.find((c) => c.name === name);
        if (!campaign) throw new InvalidInputError('CAMPAIGN_UNKNOWN', `No campaign named "${name}":`, [{ subject: name, message: `known: ${campaigns.map((c) => c.name).join(', ')}` }]);
        const db = await openStoreOnly(config);
        try {
          const filter = await audienceFilter(db.store, campaign, from);
          const members = await db.store.models.Member.find(opts.member ? { $and: [filter, { email: opts.member.toLowerCase() }] } : filter).lean();
          const content = await db.store.models.ContentItem.find({}).lean();
          const plan = simulate({ campaign, members, content, from, days: opts.days, opens: () => opts.opens === 'all' });
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(plan.map(({ attachments, ...s }) => ({ ...s, attachments: attachments?.map((a) => a.filename) })), null, 2)}\n`);
            return;
          }
          const zoneOf = new Map(members.map((m) => [String(m._id), m.timezone ?? 'UTC']));
          printTable(
            ['WHEN (UTC)', 'MEMBER LOCAL TIME', 'EMAIL', 'STEP', 'OCCURRENCE', 'SUBJECT'],
            plan.map((s) => {
              const zone = zoneOf.get(s.memberId) ?? 'UTC';
              return [s.dueAt.toISOString().slice(0, 16).replace('T', ' '), `${DateTime.fromJSDate(s.dueAt, { zone }).toFormat('yyyy-MM-dd HH:mm')} ${zone}`, s.email, s.step, s.occurrence || '-', s.subject];
            }),
          );
          process.stdout.write(`${plan.length} send(s) to ${new Set(plan.map((s) => s.memberId)).size} of ${members.length} member(s) in the audience, ${opts.days} days from ${from.toISOString()}\n`);
        } finally {
          await db.close();
        }
      }),
    );
}
