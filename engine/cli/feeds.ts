// `flywheel feeds check URL | sync | list`: try a feed before adding it, poll every source now,
// and see each source's health. Reading a feed needs no database; sync and list use it.
import { Command, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import { formatIssue, InvalidInputError } from '../errors.ts';
import type { FeedKind, PollResult } from '../content/index.ts';
import { FEED_KINDS } from '../content/define.ts';
import { printTable } from './campaigns.ts';
import { withExitCodes } from './exit-codes.ts';

export interface FeedsCommandDeps {
  config?: () => Config;
  /** stdout (tests capture it) */
  print?: (text: string) => void;
}

async function declaredPrograms(config: Config): Promise<string[]> {
  const { loadPrograms } = await import('../campaigns/index.ts');
  return Object.keys(await loadPrograms(config.FLYWHEEL_CAMPAIGNS_DIR));
}

/** The content stage and the wiring, loaded when a subcommand runs (not for `--help` or other commands). */
async function feedModules() {
  const [content, { createContentPoller, loadFeedsOrFail, withStoreOnly }, { createLogger }] = await Promise.all([import('../content/index.ts'), import('../main.ts'), import('../log.ts')]);
  return { ...content, createContentPoller, loadFeedsOrFail, withStoreOnly, createLogger };
}

const when = (d: Date | null | undefined) => (d ? d.toISOString().slice(0, 16).replace('T', ' ') : '-');

export function feedsCommand(deps: FeedsCommandDeps = {}): Command {
  const config = async () => deps.config?.() ?? (await import('../config.ts')).loadConfig();
  const print = deps.print ?? ((t: string) => process.stdout.write(t));
  const cmd = new Command('feeds').description('Content feeds: check a URL, poll every source now, list their health');

  cmd
    .command('check <url>')
    .description('Fetch one feed and print its normalised items as JSON (nothing is stored); exit 1 with the reason when it cannot be read')
    .addOption(new Option('--kind <kind>', 'treat it as this kind of feed (adds the kind as a tag)').choices([...FEED_KINDS]))
    .action(
      withExitCodes(async (url: string, opts: { kind?: FeedKind }) => {
        const { HttpFeedFetcher, readFeed, FeedError } = await feedModules();
        const c = await config();
        const fetcher = new HttpFeedFetcher({ timeoutMs: c.FLYWHEEL_FEED_TIMEOUT_MS, maxBytes: c.FLYWHEEL_FEED_MAX_BYTES, maxRedirects: c.FLYWHEEL_FEED_MAX_REDIRECTS });
        let result;
        try {
          result = await readFeed(fetcher, url, opts.kind ? { kind: opts.kind } : undefined, systemClock.now());
        } catch (e) {
          if (!(e instanceof FeedError)) throw e;
          throw new InvalidInputError('FEED_UNREADABLE', `Cannot use ${url} as a feed:`, [{ subject: e.code, message: e.message }],
            'Check the URL in a browser; a page usually links its feed with <link rel="alternate" type="application/rss+xml">.');
        }
        print(`${JSON.stringify({ url, finalUrl: result.finalUrl, count: result.items.length, items: result.items, rejected: result.rejected }, null, 2)}\n`);
        process.stderr.write(`${result.items.length} item(s)${result.rejected.length ? `, ${result.rejected.length} refused: ${result.rejected.map((r) => `item ${r.position} ${r.reason}`).join('; ')}` : ''}\n`);
      }),
    );

  cmd
    .command('sync')
    .description('Read the Markdown items under content/ and poll every feed in campaigns/feeds.ts now; exit 1 if any source failed')
    .action(
      withExitCodes(async () => {
        const { loadFeedsOrFail, withStoreOnly, createContentPoller, createLogger } = await feedModules();
        const c = await config();
        const programs = await declaredPrograms(c);
        const feeds = await loadFeedsOrFail(c, programs);
        await withStoreOnly(c, async (store) => {
          const poller = createContentPoller(c, { store, clock: systemClock, log: createLogger(c.LOG_LEVEL === 'info' ? 'warn' : c.LOG_LEVEL), feeds, programs });
          const local = await poller.syncLocal();
          print(`local   content/: ${local.created} new, ${local.updated} updated, ${local.unchanged} unchanged${local.issues.length ? `, ${local.issues.length} file problem(s)` : ''}\n`);
          for (const i of local.issues) process.stderr.write(`  ${formatIssue(i)}\n`);
          const bar = process.stderr.isTTY && feeds.length > 1 ? new SingleBar({ stream: process.stderr, format: 'polling [{bar}] {value}/{total} feeds' }, Presets.shades_classic) : undefined;
          bar?.start(feeds.length, 0);
          const results: PollResult[] = [];
          await poller.poll(feeds, (r) => { results.push(r); bar?.increment(); }).finally(() => bar?.stop());
          for (const r of results.sort((a, b) => a.feed.localeCompare(b.feed))) print(`${describe(r)}\n`);
          const failed = results.filter((r) => r.status === 'failed').length;
          print(`${feeds.length} feed(s) polled${failed ? `, ${failed} failed (see \`flywheel feeds list\`)` : ''}\n`);
          if (failed || local.issues.length) process.exitCode = 1;
        });
      }),
    );

  cmd
    .command('list')
    .description('Each feed with its health: last success, last error, consecutive failures, items stored')
    .option('--json', 'print JSON for machines')
    .action(
      withExitCodes(async (opts: { json?: boolean }) => {
        const { loadFeedsOrFail, withStoreOnly, feedSources, countItemsBySource } = await feedModules();
        const c = await config();
        const feeds = await loadFeedsOrFail(c, await declaredPrograms(c));
        const { states, counts } = await withStoreOnly(c, async (store) => ({ states: await feedSources(store), counts: await countItemsBySource(store) }));
        const byName = new Map(states.map((s) => [s._id, s]));
        const rows = [...feeds.map((f) => f.name), ...states.map((s) => s._id).filter((n) => !feeds.some((f) => f.name === n))].map((name) => {
          const s = byName.get(name);
          const defined = feeds.find((f) => f.name === name);
          const health = !defined ? 'removed' : !s ? 'never polled' : s.consecutiveFailures ? 'failing' : 'ok';
          return {
            name, kind: defined?.kind ?? null, url: defined?.url ?? s?.url ?? '', health,
            lastSuccessAt: s?.lastSuccessAt ?? null, lastErrorAt: s?.lastErrorAt ?? null, lastError: s?.lastError ?? null,
            consecutiveFailures: s?.consecutiveFailures ?? 0, items: counts.get(name) ?? 0, refused: s?.rejected ?? [],
          };
        });
        if (opts.json) {
          print(`${JSON.stringify({ feeds: rows, localItems: counts.get('local') ?? 0 }, null, 2)}\n`);
          return;
        }
        printTable(['FEED', 'HEALTH', 'ITEMS', 'LAST SUCCESS (UTC)', 'FAILURES', 'LAST ERROR'],
          rows.map((r) => [r.name, r.health, String(r.items), when(r.lastSuccessAt), String(r.consecutiveFailures), r.lastError ? `${when(r.lastErrorAt)} ${r.lastError}`.slice(0, 100) : '-']));
        print(`${rows.length} feed(s); ${counts.get('local') ?? 0} local item(s) from content/\n`);
      }),
    );
  return cmd;
}

function describe(r: PollResult): string {
  switch (r.status) {
    case 'updated':
      return `ok      ${r.feed}: ${r.created} new, ${r.updated} updated, ${r.unchanged} unchanged${r.rejected.length ? `, ${r.rejected.length} item(s) refused` : ''}`;
    case 'not-modified':
      return `ok      ${r.feed}: not modified`;
    case 'failed':
      return `FAILED  ${r.feed}: ${r.error} (${r.consecutiveFailures} in a row)`;
  }
}
