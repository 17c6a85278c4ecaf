// `flywheel report` and `flywheel kpis rebuild`: read the rollups (never raw events) and print
// the report as a table, JSON, CSV or one self-contained HTML file.
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { systemClock } from '../clock.ts';
import { withExitCodes } from './exit-codes.ts';
import { progressLine } from './engine-session.ts';


interface ReportOpts { program?: string; campaign?: string; from?: string; to?: string; format: 'table' | 'json' | 'csv' | 'html'; output?: string }

export function reportCommand(): Command {
  return new Command('report')
    .description('Engagement, membership and retention figures per campaign, step and program, from the rollups kept at event time')
    .option('--program <name>', 'only members and sends of this program')
    .option('--campaign <name>', 'only this campaign')
    .option('--from <YYYY-MM-DD>', 'first day (UTC) of the period; default: a year before --to')
    .option('--to <YYYY-MM-DD>', 'last day (UTC) of the period, included; default: today')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv', 'html']).default('table'))
    .option('-o, --output <file>', 'write to this file instead of standard output (e.g. report.html)')
    .addHelpText('after', '\nExamples:\n  flywheel report --program education --from 2026-01-01 --to 2026-12-31\n  flywheel report --format html -o report.html\n  flywheel report --campaign renewal --format json')
    .action(withExitCodes(async (opts: ReportOpts) => {
      const [{ loadConfig }, { loadProjectCampaigns, openStoreOnly }, { calendarFromConfig }, { reportFor, reportAsCsv, reportAsHtml, reportAsText, reportCharts }] = await Promise.all([
        import('../config.ts'), import('../main.ts'), import('../calendar/config.ts'), import('../reports/index.ts'),
      ]);
      const config = loadConfig();
      const calendar = calendarFromConfig(config);
      const campaigns = await loadProjectCampaigns(config);
      const db = await openStoreOnly(config, { onProgress: progressLine });
      try {
        const report = await reportFor(db.store, campaigns, calendar, systemClock.now(), opts);
        const out = opts.format === 'json' ? `${JSON.stringify(report, null, 2)}\n`
          : opts.format === 'csv' ? reportAsCsv(report)
          : opts.format === 'html' ? reportAsHtml(report, await reportCharts(report))
          : reportAsText(report);
        if (opts.output) {
          await writeFile(opts.output, out);
          process.stderr.write(`wrote ${opts.output}\n`);
        } else process.stdout.write(out);
      } finally {
        await db.close();
      }
    }));
}

export function kpisCommand(): Command {
  const kpis = new Command('kpis').description('Maintain the engagement rollups reports read');
  kpis.addCommand(new Command('rebuild')
    .description('Recompute every rollup, the members-reached records and the renewal reminders from the raw send records, results and engagement events, and the membership figures\' snapshot from the members; say where the live ones differed, and replace them. Stop workers and servers first: they count while it runs.')
    .option('--dry-run', 'only compare; change nothing')
    .action(withExitCodes(async (opts: { dryRun?: boolean }) => {
      const [{ loadConfig }, { openStoreOnly }, { rebuildRollups }] = await Promise.all([import('../config.ts'), import('../main.ts'), import('../reports/index.ts')]);
      const config = loadConfig();
      const db = await openStoreOnly(config, { onProgress: progressLine });
      const bar = process.stderr.isTTY ? new SingleBar({ format: 'reading raw records |{bar}| {value} read', stream: process.stderr }, Presets.shades_classic) : undefined;
      bar?.start(0, 0);
      try {
        const { recomputeFromRaw, compareRollups, compareRecords, liveCountedRecords, checkMemberFacts } = await import('../reports/rebuild.ts');
        const { readRollups } = await import('../reports/rollups.ts');
        const onProgress = (p: { results: number; events: number }) => { bar?.setTotal(p.results + p.events); bar?.update(p.results + p.events); };
        let outcome: Omit<Awaited<ReturnType<typeof rebuildRollups>>, 'rows'>;
        if (opts.dryRun) {
          const [live, records] = [await readRollups(db.store), await liveCountedRecords(db.store)];
          const raw = await recomputeFromRaw(db.store, onProgress);
          outcome = { differences: compareRollups(live, raw.rollups), reach: compareRecords(records.reach, raw.reach), reminders: compareRecords(records.reminders, raw.reminders), membership: await checkMemberFacts(db.store, false) };
        } else outcome = await rebuildRollups(db.store, systemClock.now(), onProgress);
        bar?.stop();
        const { differences } = outcome;
        const done = opts.dryRun ? '' : ' and were replaced';
        if (differences.length === 0) process.stdout.write('The live rollups agree with the raw records.\n');
        else {
          process.stdout.write(`${differences.length} figure(s) differed from the raw records${done}:\n`);
          for (const d of differences.slice(0, 50)) process.stdout.write(`  ${d.day} ${d.campaign}/${d.step}${d.program ? ` (${d.program})` : ''} ${d.metric}: live ${d.live}, raw ${d.raw}\n`);
          if (differences.length > 50) process.stdout.write(`  ... and ${differences.length - 50} more\n`);
        }
        for (const [name, diff] of [['members reached', outcome.reach], ['renewal reminders', outcome.reminders]] as const) {
          if (diff.missing.length + diff.extra.length === 0) process.stdout.write(`The ${name} records agree with the raw records.\n`);
          else process.stdout.write(`The ${name} records differed${done}: ${diff.missing.length} missing, ${diff.extra.length} without a send behind them.\n`);
        }
        const m = outcome.membership;
        if (m.missing.length + m.extra.length + m.changed.length === 0) process.stdout.write('The membership figures\' snapshot agrees with the members.\n');
        else process.stdout.write(`The membership figures' snapshot differed from the members${done}: ${m.missing.length} missing, ${m.extra.length} no longer there, ${m.changed.length} changed.\n`);
      } finally {
        bar?.stop();
        await db.close();
      }
    })));
  return kpis;
}
