// A real worker in its own process, for reliability tests: the production engine (createEngine,
// Agenda, SMTP transport) against the test database, configured only through the environment.
// The campaign definition arrives as JSON in FLYWHEEL_TEST_CAMPAIGN. The worker plans what is due
// (a tick), then processes batches until it is told to stop (SIGTERM) or killed (SIGKILL).
//
// Recovery from a dead worker needs no sweep: its Agenda jobs stop being touched, their locks
// expire after FLYWHEEL_LEASE_MS (the job lock lifetime), another worker's Agenda takes them, and
// runBatch starts run 2 once the batch lease has expired too. FLYWHEEL_TEST_SWEEP_MS adds the
// scheduler's sweep (the backstop for lost jobs) at that interval.
// FLYWHEEL_TEST_CRASH_ON_RETRY=1 kills this process (SIGKILL) the moment a batch run asks for a
// retry batch to be queued: after the retry batch is written, before the run's results are.
import { loadConfig } from '../../engine/config.ts';
import { createEngine } from '../../engine/main.ts';
import { validateDefinition } from '../../engine/campaigns/index.ts';

/** Lines this process prints on stdout, one JSON object each; the test side reads them. */
export type WorkerLine =
  | { event: 'ready'; pid: number; planned: number }
  | { event: 'stopped'; pid: number };

const say = (line: WorkerLine) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function main(): Promise<void> {
  const raw = process.env.FLYWHEEL_TEST_CAMPAIGN;
  if (!raw) throw new Error('FLYWHEEL_TEST_CAMPAIGN (a campaign definition as JSON) is required');
  const { campaign, issues } = validateDefinition(JSON.parse(raw), 'test-campaign.ts');
  if (!campaign) throw new Error(`invalid test campaign: ${JSON.stringify(issues)}`);

  const config = loadConfig();
  const engine = await createEngine(config, { campaigns: [campaign], processEveryMs: 100 });
  const reports = await engine.scheduler.tick();
  if (process.env.FLYWHEEL_TEST_CRASH_ON_RETRY === '1') {
    // Batches planned by the tick are queued already; from here on, only a batch run queues one.
    engine.scheduler.scheduleBatch = async () => { process.kill(process.pid, 'SIGKILL'); };
  }
  await engine.scheduler.start({ recurring: false });
  const sweepMs = Number(process.env.FLYWHEEL_TEST_SWEEP_MS ?? 0);
  const sweep = sweepMs > 0 ? setInterval(() => {
    engine.scheduler.sweep().catch((err: unknown) => engine.log.error({ err }, 'sweep failed'));
  }, sweepMs) : undefined;
  say({ event: 'ready', pid: process.pid, planned: reports.reduce((n, r) => n + r.created, 0) });

  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  clearInterval(sweep);
  await engine.close();
  say({ event: 'stopped', pid: process.pid });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`worker failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
