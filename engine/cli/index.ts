// The `flywheel` command line: one file per command, registered here.
import { Command } from 'commander';
import { applicationsCommand } from './applications.ts';
import { campaignsCommand } from './campaigns.ts';
import { membersCommand } from './members.ts';
import { planCommand } from './plan.ts';
import { previewCommand } from './preview.ts';
import { segmentsCommand } from './segments.ts';
import { validateCommand } from './validate.ts';
import { kpisCommand, reportCommand } from './report.ts';
import { runCommand } from './run.ts';
import { sendCommand } from './send.ts';
import { serveCommand } from './serve.ts';
import { startCommand } from './start.ts';
import { workerCommand } from './worker.ts';
import { feedsCommand } from './feeds.ts';
import { contentCommand } from './content.ts';
import { bouncesCommand } from './bounces.ts';

export function buildCli(): Command {
  const program = new Command('flywheel')
    .description('Campaign and content orchestration for developer-relations programs')
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)');
  for (const cmd of [
    validateCommand(), campaignsCommand(), planCommand(), previewCommand(), membersCommand(), segmentsCommand(),
    feedsCommand(), contentCommand(),
    sendCommand(), runCommand(), workerCommand(), serveCommand(), startCommand(), reportCommand(), kpisCommand(), applicationsCommand(), bouncesCommand(),
  ]) program.addCommand(cmd);
  return program;
}

await buildCli().parseAsync(process.argv);
