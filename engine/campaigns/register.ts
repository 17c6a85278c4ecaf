// Campaign lifecycle in the database: what the files say becomes CampaignState; a step
// that disappeared from a file has its pending sends cancelled; a campaign whose file is
// gone is marked removed. Completed sends are never touched, so edits only change the future.
import { InvalidInputError } from '../errors.ts';
import { nextRunAt } from './next-run.ts';
import type { Store } from '../store/index.ts';
import { upsertRetryingOnce } from '../store/keyed-insert.ts';
import { cancelPendingSends } from '../ledger/index.ts';
import type { LoadedCampaign } from './types.ts';

function cancelPending(store: Store, campaign: string, steps?: string[]): Promise<number> {
  return cancelPendingSends(store, campaign, steps, steps ? 'step removed from campaign file' : 'campaign removed');
}

export interface RegistrationReport {
  added: string[];
  changed: string[];
  removed: string[];
  cancelledSends: number;
}

export async function registerCampaigns(store: Store, campaigns: LoadedCampaign[], now: Date): Promise<RegistrationReport> {
  const { CampaignState } = store.models;
  const existing = new Map((await CampaignState.find({}).lean()).map((s) => [s.name, s]));
  const report: RegistrationReport = { added: [], changed: [], removed: [], cancelledSends: 0 };
  for (const c of campaigns) {
    const prev = existing.get(c.name);
    const state = prev?.state === 'paused' ? 'paused' : 'active';
    const update = {
      $set: { kind: c.kind, file: c.file, version: c.version, steps: c.steps, state, nextRunAt: nextRunAt(c, now) ?? null },
      $setOnInsert: { registeredAt: now },
    };
    // two processes registering at once: the unique name index lets one insert win; update after it
    await upsertRetryingOnce(() => CampaignState.updateOne({ name: c.name }, update, { upsert: true }));
    if (!prev) report.added.push(c.name);
    else if (prev.version !== c.version) report.changed.push(c.name);
    const removedSteps = (prev?.steps ?? []).filter((s) => !c.steps.includes(s));
    if (removedSteps.length) report.cancelledSends += await cancelPending(store, c.name, removedSteps);
  }
  const names = new Set(campaigns.map((c) => c.name));
  for (const [name, prev] of existing) {
    if (names.has(name) || prev.state === 'removed') continue;
    await CampaignState.updateOne({ name }, { $set: { state: 'removed', nextRunAt: null } });
    report.removed.push(name);
    report.cancelledSends += await cancelPending(store, name);
  }
  return report;
}

/** Operator pause/resume (`flywheel campaigns pause|resume NAME`). */
export async function setCampaignState(store: Store, name: string, state: 'active' | 'paused'): Promise<void> {
  const doc = await store.models.CampaignState.findOne({ name }).lean();
  if (!doc || doc.state === 'removed') {
    const known = (await store.models.CampaignState.find({ state: { $ne: 'removed' } }).lean()).map((d) => d.name);
    throw new InvalidInputError('CAMPAIGN_UNKNOWN', `No registered campaign named "${name}":`, [{ subject: name, message: `known campaigns: ${known.join(', ') || '(none)'}` }], 'Run `flywheel campaigns list` to see registered campaigns.');
  }
  await store.models.CampaignState.updateOne({ name }, { $set: { state } });
}
