// bench:send's engine run, in its own process so its peak RSS (VmHWM) is the engine's alone and
// one size's run does not inherit another's heap. The parent has dropped the database and
// inserted the members; this plans one newsletter broadcast for all of them and drains it through
// Agenda, the SMTP transport and the ledger, then reports (IPC) wall time, CPU seconds of this
// process and of the database server (both from /proc) and peak RSS.
import { loadConfig } from '../engine/config.ts';
import { createEngine } from '../engine/main.ts';
import { drain } from '../engine/scheduler/drain.ts';
import { defineCampaign, validateDefinition } from '../engine/campaigns/index.ts';
import { systemClock } from '../engine/clock.ts';
import { countDelivered } from '../engine/ledger/index.ts';
import { cpuSeconds, peakRssMb } from './proc-stats.ts';
import { newsletterIssue } from './send-fixture.ts';

export interface EngineRunRequest { uri: string; dbName: string; smtpUrl: string; poolSize: number; members: number; dbPid?: number }
export interface EngineRunReport {
  members: number; planMs: number; ms: number; sent: number;
  nodeCpuS: number; dbCpuS?: number; peakRssMb?: number;
  /** CPU seconds of the planning part alone (records, payload, batches) */
  planNodeCpuS: number; planDbCpuS?: number;
}

async function run(req: EngineRunRequest): Promise<EngineRunReport> {
  const config = loadConfig({
    ...process.env,
    MONGODB_URI: req.uri,
    FLYWHEEL_DB_NAME: req.dbName,
    FLYWHEEL_TRANSPORT: 'smtp',
    SMTP_URL: req.smtpUrl,
    SMTP_POOL_SIZE: String(req.poolSize),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const definition = defineCampaign({
    kind: 'broadcast', name: 'bench-newsletter', topic: 'newsletter', at: systemClock.now().toISOString(),
    template: 'newsletter', subject: 'Issue {{issue.number}}: {{issue.title}}', data: newsletterIssue(),
  });
  const campaign = validateDefinition(definition, 'bench-newsletter.ts').campaign!;
  const engine = await createEngine(config, { campaigns: [campaign], processEveryMs: 250 });
  try {
    const node0 = cpuSeconds('self')!;
    const db0 = req.dbPid ? cpuSeconds(req.dbPid) : undefined;
    const t0 = performance.now();
    await engine.scheduler.plan(campaign, { now: engine.clock.now(), forceStep: 'send' });
    const planMs = performance.now() - t0;
    const planNodeCpuS = cpuSeconds('self')! - node0;
    const planDb = req.dbPid ? cpuSeconds(req.dbPid) : undefined;
    await drain(engine);
    const ms = performance.now() - t0;
    const nodeCpuS = cpuSeconds('self')! - node0;
    const db1 = req.dbPid ? cpuSeconds(req.dbPid) : undefined;
    const sent = await countDelivered(engine.store, campaign.name);
    return { members: req.members, planMs, ms, sent, nodeCpuS, dbCpuS: db0 !== undefined && db1 !== undefined ? db1 - db0 : undefined, planNodeCpuS, planDbCpuS: db0 !== undefined && planDb !== undefined ? planDb - db0 : undefined, peakRssMb: peakRssMb('self') };
  } finally {
    await engine.close();
  }
}

process.once('message', (req: EngineRunRequest) => {
  run(req).then(
    (report) => { process.send!({ report }, () => process.exit(0)); },
    (err: unknown) => { process.send!({ error: err instanceof Error ? err.stack : String(err) }, () => process.exit(1)); },
  );
});
