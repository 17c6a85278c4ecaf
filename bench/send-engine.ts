// bench:send's engine run, in its own process so its peak RSS (VmHWM) is the engine's alone and
// one size's run does not inherit another's heap. The parent has dropped the database and
// inserted the members; this sends one newsletter broadcast to all of them as `flywheel send`
// does (batches queued as planning writes them, run by Agenda, the SMTP transport and the
// ledger), then reports (IPC) wall time, CPU seconds of this
// process and of the database server (both from /proc) and peak RSS.
import { loadConfig } from '../engine/config.ts';
import { createEngine } from '../engine/main.ts';
import { sendNow } from '../engine/scheduler/send-now.ts';
import { defineCampaign, validateDefinition } from '../engine/campaigns/index.ts';
import { systemClock } from '../engine/clock.ts';
import { countDelivered } from '../engine/ledger/index.ts';
import { cpuSeconds, peakRssMb } from './proc-stats.ts';
import { newsletterIssue } from './send-fixture.ts';

export interface EngineRunRequest {
  uri: string; dbName: string; smtpUrl: string; poolSize: number; members: number; dbPid?: number;
  /** FLYWHEEL_HEAP_GROWTH_PERCENT for this run (unset: the engine's default) */
  heapGrowthPercent?: number;
}
export interface EngineRunReport {
  members: number; ms: number; sent: number;
  /** when the first batch was queued, and when the last one was (planning done; sending overlaps it) */
  firstQueuedMs: number; planMs: number;
  nodeCpuS: number; dbCpuS?: number; peakRssMb?: number;
}

async function run(req: EngineRunRequest): Promise<EngineRunReport> {
  const config = loadConfig({
    ...process.env,
    MONGODB_URI: req.uri,
    FLYWHEEL_DB_NAME: req.dbName,
    FLYWHEEL_TRANSPORT: 'smtp',
    SMTP_URL: req.smtpUrl,
    SMTP_POOL_SIZE: String(req.poolSize),
    ...(req.heapGrowthPercent !== undefined ? { FLYWHEEL_HEAP_GROWTH_PERCENT: String(req.heapGrowthPercent) } : {}),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const definition = defineCampaign({
    kind: 'broadcast', name: 'bench-newsletter', topic: 'newsletter', at: systemClock.now().toISOString(),
    template: 'newsletter', subject: 'Issue {{issue.number}}: {{issue.title}}', data: newsletterIssue(),
  });
  const campaign = validateDefinition(definition, 'bench-newsletter.ts').campaign!;
  // polling as `flywheel send` polls
  const engine = await createEngine(config, { campaigns: [campaign], processEveryMs: 250 });
  const trace = startMemoryTrace(process.env.MEMORY_TRACE);
  // ALLOC_PROF=file writes a sampled profile of every allocation of the run (garbage included;
  // ALLOC_MINOR=0 leaves out what died young, leaving what lived long enough to be promoted)
  const allocations = process.env.ALLOC_PROF ? await startAllocationProfile() : undefined;
  // HEAP_SNAPSHOT=file writes a heap snapshot HEAP_SNAPSHOT_AT_S (default 10) seconds into the send: what the heap holds mid-send, after a full GC
  const snapshot = process.env.HEAP_SNAPSHOT ? setTimeout(() => {
    const before = process.memoryUsage().heapUsed;
    void import('node:v8').then((v8) => {
      v8.writeHeapSnapshot(process.env.HEAP_SNAPSHOT);
      process.stderr.write(`heap snapshot: ${mb(before)} MB in use before, ${mb(process.memoryUsage().heapUsed)} MB after its full GC\n`);
    });
  }, Number(process.env.HEAP_SNAPSHOT_AT_S ?? 10) * 1000) : undefined;
  try {
    const node0 = cpuSeconds('self')!;
    const db0 = req.dbPid ? cpuSeconds(req.dbPid) : undefined;
    const t0 = performance.now();
    // `flywheel send`'s own path: batches are queued (and sent) as planning writes them
    let firstQueuedMs: number | undefined;
    let planMs = 0;
    let planned = 0;
    await sendNow(engine, campaign.name, 'send', (total) => {
      firstQueuedMs ??= performance.now() - t0;
      if (total > planned) { planned = total; planMs = performance.now() - t0; }
    });
    const ms = performance.now() - t0;
    const nodeCpuS = cpuSeconds('self')! - node0;
    const db1 = req.dbPid ? cpuSeconds(req.dbPid) : undefined;
    // the send's peak, before the check below reads every result back
    const peak = peakRssMb('self');
    const sent = await countDelivered(engine.store, campaign.name);
    return { members: req.members, firstQueuedMs: firstQueuedMs ?? ms, planMs, ms, sent, nodeCpuS, dbCpuS: db0 !== undefined && db1 !== undefined ? db1 - db0 : undefined, peakRssMb: peak };
  } finally {
    if (allocations) await allocations.stop(process.env.ALLOC_PROF!);
    clearInterval(trace);
    clearTimeout(snapshot);
    await engine.close();
  }
}

/** MEMORY_TRACE=1 prints the heap and RSS every second; =peaks samples every 50 ms and prints each new RSS peak. */
function startMemoryTrace(mode: string | undefined): NodeJS.Timeout | undefined {
  const line = (m: NodeJS.MemoryUsage) => `rss ${mb(m.rss)} MB, heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MB, external ${mb(m.external)} MB`;
  if (mode === '1') return setInterval(() => process.stderr.write(`memory: ${line(process.memoryUsage())}\n`), 1000);
  if (mode !== 'peaks') return undefined;
  const t0 = performance.now();
  let highest = 0;
  return setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss <= highest + 2_000_000) return;
    highest = m.rss;
    process.stderr.write(`memory peak at ${((performance.now() - t0) / 1000).toFixed(1)} s: ${line(m)}\n`);
  }, 50);
}

async function startAllocationProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: process.env.ALLOC_MINOR !== '0' });
  return {
    async stop(file) {
      const { profile } = await session.post('HeapProfiler.stopSampling');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

const mb = (bytes: number) => Math.round(bytes / 1_048_576);

process.once('message', (req: EngineRunRequest) => {
  run(req).then(
    (report) => { process.send!({ report }, () => process.exit(0)); },
    (err: unknown) => { process.send!({ error: err instanceof Error ? err.stack : String(err) }, () => process.exit(1)); },
  );
});
