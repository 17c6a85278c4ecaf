// After a send stopped part-way (its process, or the database, died), some outcomes may be
// recorded whose counts never reached the database (counters are buffered in memory). This
// brings one step's send counts back to what its results say, without touching anyone else's
// numbers: it writes the difference (raw - live, per day and program, send metrics only) as a
// correction shard of its own and writes the step's reach as a shard of its own (a union, so idempotent).
// Engagement counts (opens, clicks) of the step are left as they are: servers may be counting them.
import type { Store } from '../store/index.ts';
import { insertKeyed } from '../store/keyed-insert.ts';
import { writeReachShards, reachRecordId, type ReachRecord } from './send-records.ts';
import { recordedResults, sendMembersOfStep } from '../ledger/index.ts';
import { reachMonth, rollupDay } from './metrics.ts';
import { sendResultDeltas } from './raw-events.ts';
import { readRollups } from './rollups.ts';

/** The metrics a send result counts (see sendResultDeltas). */
const SEND_METRICS = ['sent', 'failed', 'bounces'] as const;
type SendMetric = (typeof SEND_METRICS)[number];

export interface SendCountRepair { corrected: number; differences: Array<{ day: string; program: string; metric: SendMetric; live: number; raw: number }> }

/** Make the send counts of `campaign`/`step` equal what its recorded results say. */
export async function repairSendCounts(store: Store, campaign: string, step: string, now: Date): Promise<SendCountRepair> {
  const [results, members, live] = await Promise.all([
    recordedResults(store, { campaign, step }),
    sendMembersOfStep(store, campaign, step),
    readRollups(store, { campaign }),
  ]);
  const raw = new Map<string, Record<SendMetric, number>>();
  const reach = new Map<string, ReachRecord>();
  const zero = (): Record<SendMetric, number> => ({ sent: 0, failed: 0, bounces: 0 });
  for (const r of results) {
    const send = members.get(String(r.sendLogId));
    const program = send?.program ?? '';
    const key = `${rollupDay(r.at)}|${program}`;
    const totals = raw.get(key) ?? zero();
    for (const [metric, by] of Object.entries(sendResultDeltas(r.status, r.bounce))) totals[metric as SendMetric] += by ?? 0;
    raw.set(key, totals);
    if (r.status === 'sent' && send?.program) {
      const id = reachRecordId(send.program, reachMonth(r.at), send.memberId);
      reach.set(id, { _id: id, program: send.program, month: reachMonth(r.at), memberId: send.memberId });
    }
  }
  const liveBy = new Map<string, Record<SendMetric, number>>();
  for (const row of live) {
    if (row.step !== step) continue;
    liveBy.set(`${row.day}|${row.program}`, { sent: row.totals.sent, failed: row.totals.failed, bounces: row.totals.bounces });
  }
  const shard = `repair-${now.getTime()}`;
  const differences: SendCountRepair['differences'] = [];
  const docs: Array<Record<string, unknown>> = [];
  for (const key of new Set([...raw.keys(), ...liveBy.keys()])) {
    const [day, program] = key.split('|') as [string, string];
    const r = raw.get(key) ?? zero();
    const l = liveBy.get(key) ?? zero();
    const delta: Partial<Record<SendMetric, number>> = {};
    for (const m of SEND_METRICS) {
      if (r[m] === l[m]) continue;
      differences.push({ day, program, metric: m, live: l[m], raw: r[m] });
      delta[m] = r[m] - l[m];
    }
    if (Object.keys(delta).length) docs.push({ _id: `${day}|${campaign}|${step}|${program}|${shard}`, day, campaign, step, program, shard, ...delta });
  }
  if (docs.length) await insertKeyed(store.models.Rollup.collection, docs);
  // the step's reach as a shard of its own (readers take the union: idempotent)
  await writeReachShards(store, `${shard}-${campaign}-${step}`, [...reach.values()]);
  return { corrected: docs.length, differences };
}
