// Whether the campaign still wants a running batch sent. Read when the batch starts and again
// at most once a second while it sends, so `flywheel campaigns pause` (or removing the campaign
// file) stops a long batch within about a second instead of after its last recipient.
import { monotonicMs } from '../clock.ts';
import type { Store } from '../store/index.ts';

export type CampaignSendState = 'active' | 'paused' | 'removed';

const RECHECK_MS = 1000;

export class CampaignWatch {
  private state: CampaignSendState = 'active';
  /** the campaign's kind as registered (reports attribute renewals to renewal reminders) */
  kind?: string;
  private checkedAt = 0;
  private refreshing?: Promise<void>;

  private constructor(private readonly store: Store, private readonly campaign: string, private readonly step: string) {}

  /** The campaign's state for `step` now (a step no longer in the campaign counts as removed). */
  static async start(store: Store, campaign: string, step: string): Promise<CampaignWatch> {
    const watch = new CampaignWatch(store, campaign, step);
    await watch.refresh();
    return watch;
  }

  /** The last state read; a stale one is re-read in the background (sends never wait for it). */
  current(): CampaignSendState {
    if (!this.refreshing && monotonicMs() - this.checkedAt >= RECHECK_MS) {
      // a failed re-read keeps the last known state; the next call tries again
      this.refreshing = this.refresh().catch(() => {}).finally(() => { this.refreshing = undefined; });
    }
    return this.state;
  }

  private async refresh(): Promise<void> {
    const doc = await this.store.models.CampaignState.findOne({ name: this.campaign }, { state: 1, steps: 1, kind: 1 }).lean();
    this.checkedAt = monotonicMs();
    this.kind = doc?.kind ?? undefined;
    const stepRemoved = doc !== null && doc.steps.length > 0 && !doc.steps.includes(this.step);
    this.state = doc?.state === 'removed' || stepRemoved ? 'removed' : doc?.state === 'paused' ? 'paused' : 'active';
  }
}
