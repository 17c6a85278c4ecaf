// `flywheel content list [--tag T] [--json]`: the stored content items, newest first.
import { Command } from 'commander';
import type { Config } from '../config.ts';
import { InvalidInputError } from '../errors.ts';
import { printTable } from './campaigns.ts';
import { withExitCodes } from './exit-codes.ts';

export function contentCommand(deps: { config?: () => Config; print?: (text: string) => void } = {}): Command {
  const config = deps.config ?? (async () => (await import('../config.ts')).loadConfig());
  const print = deps.print ?? ((t: string) => process.stdout.write(t));
  const cmd = new Command('content').description('Content items from feeds and content/ (what newsletters and promotions use)');
  cmd
    .command('list')
    .description('List stored content items, newest first')
    .option('--tag <tag>', 'only items with this tag (e.g. case-study)')
    .option('--limit <n>', 'at most this many items', (v) => Number(v), 100)
    .option('--json', 'print JSON for machines')
    .action(
      withExitCodes(async (opts: { tag?: string; limit: number; json?: boolean }) => {
        if (!Number.isInteger(opts.limit) || opts.limit <= 0) throw new InvalidInputError('USAGE', 'Bad option:', [{ path: '--limit', message: 'must be a positive whole number' }]);
        const [{ listItems }, { withDatabase }] = await Promise.all([import('../content/index.ts'), import('../store/index.ts')]);
        await withDatabase(await config(), async (store) => {
          const items = await listItems(store, { tag: opts.tag?.trim().toLowerCase(), limit: opts.limit });
          if (opts.json) {
            print(`${JSON.stringify(items.map((i) => ({ ...i, _id: undefined })), null, 2)}\n`);
            return;
          }
          printTable(['PUBLISHED (UTC)', 'SOURCE', 'TAGS', 'TITLE', 'LINK'],
            items.map((i) => [i.publishedAt.toISOString().slice(0, 10), i.source, (i.tags ?? []).join(','), i.title.length > 60 ? `${i.title.slice(0, 59)}…` : i.title, i.url]));
          print(`${items.length} item(s)${opts.tag ? ` tagged "${opts.tag}"` : ''}\n`);
        });
      }),
    );
  return cmd;
}
