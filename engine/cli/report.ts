// `flywheel report`: engagement per campaign and program, as a table, JSON or CSV.
import { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { openStoreOnly } from '../main.ts';
import { engagementReport } from '../reports/kpi.ts';
import { reportAsCsv, reportAsTable } from '../reports/kpi-format.ts';
import { withExitCodes } from './exit-codes.ts';
import { progressLine } from './engine-session.ts';

export function reportCommand(): Command {
  return new Command('report')
    .description('Engagement figures per campaign and program: sends, opens, clicks, unsubscribes, bounces')
    .option('--campaign <name>', 'only this campaign')
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .action(withExitCodes(async (opts: { campaign?: string; json?: boolean; csv?: boolean }) => {
      const config = loadConfig();
      const db = await openStoreOnly(config, { onProgress: progressLine });
      try {
        const rows = await engagementReport(db.store, { campaign: opts.campaign });
        if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else if (opts.csv) process.stdout.write(reportAsCsv(rows));
        else process.stdout.write(rows.length ? reportAsTable(rows) : 'No sends recorded yet.\n');
      } finally {
        await db.close();
      }
    }));
}

