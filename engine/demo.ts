// `npm run demo`: the whole spine on the embedded database, non-interactively.
// Seeds sample members, sends one newsletter through the outbox transport, opens a few
// messages by requesting their pixel URLs over HTTP, and prints the KPI summary.
// Running it again sends nothing new: every send is keyed by (campaign, step, member).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadConfig } from './config.ts';
import { createEngine } from './main.ts';
import { ROOT_DIR } from './store/index.ts';
import { freePort } from './store/embedded.ts';
import { importMembers } from './audience/index.ts';
import { reportFor, reportAsText } from './reports/index.ts';
import { calendarFromConfig } from './calendar/config.ts';
import { loadPrograms } from './campaigns/index.ts';
import { sendNow } from './scheduler/send-now.ts';
import { FlywheelError } from './errors.ts';
import { countDelivered } from './ledger/index.ts';

const CAMPAIGN = 'launch-announcement-2026';
const say = (line = '') => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const port = await freePort();
  const config = loadConfig({
    ...process.env,
    FLYWHEEL_TRANSPORT: 'outbox',
    FLYWHEEL_HTTP_PORT: String(port),
    FLYWHEEL_PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  say('Flywheel demo');
  say('1. Starting the engine on the embedded database (first run builds it; later runs take seconds)…');
  const engine = await createEngine(config, { onProgress: (l) => say(`   ${l}`), processEveryMs: 250 });
  try {
    say(`   database: ${engine.store.conn.host}:${engine.store.conn.port} (${config.MONGODB_URI ? 'MONGODB_URI' : 'embedded'}), campaigns loaded: ${engine.campaigns.length}`);

    say('2. Importing sample members from content/sample-members.csv…');
    const programs = await loadPrograms(config.FLYWHEEL_CAMPAIGNS_DIR);
    const imported = await importMembers(engine.store, join(ROOT_DIR, 'content', 'sample-members.csv'), { programs, secret: engine.config.FLYWHEEL_SECRET, displayName: 'content/sample-members.csv' });
    const subscribed = await engine.store.models.Member.countDocuments({ status: 'active', 'topics.newsletter': { $ne: false }, unsubscribedAt: null });
    say(`   ${imported.rows} rows: ${imported.created} new, ${imported.updated} updated; ${subscribed} active members get the newsletter`);
    // content for digests and promotions: the Markdown items, and the sample feeds (which cannot
    // be reached without a network: each is recorded as failing and nothing else is affected)
    const local = await engine.content.syncLocal();
    const polled = await engine.content.poll();
    const failing = polled.filter((r) => r.status === 'failed').length;
    say(`   content: ${local.created + local.updated + local.unchanged} Markdown item(s) from content/; ${polled.length} feed(s) polled, ${failing} unreachable (see \`npx flywheel feeds list\`)`);

    say(`3. Sending the "${CAMPAIGN}" newsletter through the outbox transport (Agenda runs the batches)…`);
    const before = await countDelivered(engine.store, CAMPAIGN);
    const outcome = await sendNow(engine, CAMPAIGN, undefined);
    const sentNow = (await countDelivered(engine.store, CAMPAIGN)) - before;
    say(`   ${outcome.trim()}`);
    say(`   sent in this run: ${sentNow}`);

    const outboxDir = join(config.FLYWHEEL_OUTBOX_DIR, CAMPAIGN);
    const htmlFiles = existsSync(outboxDir) ? readdirSync(outboxDir).filter((f) => f.endsWith('.html')).sort() : [];
    const emlCount = existsSync(outboxDir) ? readdirSync(outboxDir).filter((f) => f.endsWith('.eml')).length : 0;

    say('4. Opening a few messages by requesting their tracking pixels over HTTP…');
    const app = await engine.http();
    await app.listen({ host: '127.0.0.1', port });
    let requests = 0;
    try {
      // Only a run that sent something opens messages; a repeat run just reports.
      for (const [i, file] of (sentNow > 0 ? htmlFiles.slice(0, 5) : []).entries()) {
        const pixel = /<img[^>]+src="([^"]+\/o\/[^"]+)"/.exec(readFileSync(join(outboxDir, file), 'utf8'))?.[1];
        if (!pixel) continue;
        // The first message is "opened" twice, as a reader reopening it would: two opens, one unique.
        for (let n = 0; n < (i === 0 ? 2 : 1); n++) {
          const res = await fetch(pixel.replace(/^https?:\/\/[^/]+/, `http://127.0.0.1:${port}`));
          if (res.status !== 200) throw new FlywheelError('DEMO_PIXEL_FAILED', `pixel request answered ${res.status}`);
          requests++;
        }
      }
    } finally {
      await app.close();
    }
    // Hits are buffered off the request path; write them (and their counts) before the report reads them.
    await engine.tracking.hits.flush(true);
    await engine.counters.flush();
    say(`   ${requests} pixel request(s) answered; seconds after delivery, so they count as machine opens (what mail-provider prefetching looks like)`);

    say('5. Results');
    const report = await reportFor(engine.store, engine.campaigns, calendarFromConfig(engine.config), engine.clock.now(), { campaign: CAMPAIGN });
    say(reportAsText(report).trimEnd().replace(/^/gm, '   '));
    say();
    say(`Messages: ${emlCount} .eml file(s) (each with an .html twin) in ${relative(process.cwd(), outboxDir) || '.'}/`);
    say('Next: `npx flywheel report`, `npx flywheel campaigns list`, `npx flywheel plan onboarding-education --days 90`,');
    say('      `npx flywheel preview newsletter-education issue --sample --screenshot`, `npm start` for a worker and the tracking server.');
  } finally {
    await engine.close();
  }
}

main().then(
  () => process.exit(0),
  (err: Error & { hint?: string }) => {
    process.stderr.write(`demo failed: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
    process.exit(err instanceof FlywheelError && err.code.startsWith('CONFIG') ? 1 : 2);
  },
);
