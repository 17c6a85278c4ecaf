// `flywheel validate`: checks every campaign file and the templates it references; exits
// 1 with precise issues (file, campaign, field) when anything is wrong. Needs no database.
import { Command } from 'commander';
import { InvalidInputError } from '../errors.ts';
import { withExitCodes } from './exit-codes.ts';

export function validateCommand(): Command {
  return new Command('validate')
    .description('Check every campaign file and the templates it uses (unknown template, bad field, bad schedule, negative delay, unknown program...), the feeds in campaigns/feeds.ts and the Markdown items under content/')
    .option('--no-render', 'only check that templates exist; skip rendering them with sample data')
    .action(
      withExitCodes(async (opts: { render: boolean }) => {
        const [{ loadConfig }, { validateProject }, { createRendering }, { loadFeeds, loadLocalItems }, { ROOT_DIR }] = await Promise.all([
          import('../config.ts'), import('../render/validate-project.ts'), import('../main.ts'), import('../content/index.ts'), import('../store/index.ts'),
        ]);
        const config = loadConfig();
        const checker = opts.render ? createRendering(config).renderer : undefined;
        const report = await validateProject({ campaignsDir: config.FLYWHEEL_CAMPAIGNS_DIR, templatesDir: config.FLYWHEEL_TEMPLATES_DIR, checker });
        // content sources are checked with the campaigns that use them
        const programs = report.campaigns.find((c) => c.programs)?.programs;
        const programNames = programs ? Object.keys(programs) : undefined;
        const feeds = await loadFeeds(config.FLYWHEEL_CAMPAIGNS_DIR, ROOT_DIR, programNames);
        const local = loadLocalItems(config.FLYWHEEL_CONTENT_DIR, ROOT_DIR, programNames);
        const issues = [...report.issues, ...feeds.issues, ...local.issues];
        if (issues.length) {
          throw new InvalidInputError('VALIDATION_FAILED', `${issues.length} problem(s) found:`, issues, 'Fix the fields named above and run `flywheel validate` again.');
        }
        for (const c of report.campaigns) process.stdout.write(`ok  ${c.name.padEnd(32)} ${c.kind.padEnd(11)} ${c.file}\n`);
        process.stdout.write(`${report.campaigns.length} campaign(s) valid${checker ? ', templates render with sample data' : ''}; ${feeds.feeds.length} feed(s) and ${local.items.length} content item(s) valid.\n`);
      }),
    );
}

