// `flywheel validate`: checks every campaign file and the templates it references; exits
// 1 with precise issues (file, campaign, field) when anything is wrong. Needs no database.
import { resolve } from 'node:path';
import { Command } from 'commander';
import { validateProject } from '../campaigns/validate.ts';
import { loadConfig } from '../config.ts';
import { InvalidInputError } from '../errors.ts';
import { withExitCodes } from './exit-codes.ts';
import { createRenderer } from '../render/index.ts';
import { ROOT_DIR } from '../store/index.ts';
import { TokenSigner, TrackingUrls } from '../tracking/tokens.ts';

export function validateCommand(): Command {
  return new Command('validate')
    .description('Check every campaign file and the templates it uses (unknown template, bad field, bad schedule, negative delay, unknown program...)')
    .option('--no-render', 'only check that templates exist; skip rendering them with sample data')
    .action(
      withExitCodes(async (opts: { render: boolean }) => {
        const config = loadConfig();
        const templatesDir = resolve(ROOT_DIR, config.FLYWHEEL_TEMPLATES_DIR);
        const checker = opts.render
          ? createRenderer({ templatesDir, urls: new TrackingUrls(config.FLYWHEEL_PUBLIC_URL, new TokenSigner(config.FLYWHEEL_SECRET)), postalAddress: config.FLYWHEEL_POSTAL_ADDRESS, senderName: config.FLYWHEEL_FROM })
          : undefined;
        const report = await validateProject({ campaignsDir: resolve(ROOT_DIR, config.FLYWHEEL_CAMPAIGNS_DIR), templatesDir, checker });
        if (report.issues.length) {
          throw new InvalidInputError('VALIDATION_FAILED', `${report.issues.length} problem(s) found:`, report.issues, 'Fix the fields named above and run `flywheel validate` again.');
        }
        for (const c of report.campaigns) process.stdout.write(`ok  ${c.name.padEnd(32)} ${c.kind.padEnd(11)} ${c.file}\n`);
        process.stdout.write(`${report.campaigns.length} campaign(s) valid${checker ? ', templates render with sample data' : ''}.\n`);
      }),
    );
}

