// The campaign overview: every campaign with its kind, state, next run, last send and
// headline figures (all time, from the rollups).
import type { Store } from '../store/index.ts';
import type { LoadedCampaign } from '../campaigns/index.ts';
import { readRollups, sumBy } from './rollups.ts';
import { engagementFigures, type EngagementFigures } from './kpi.ts';
import { emptyTotals } from './metrics.ts';

export interface CampaignOverviewRow {
  name: string;
  kind: string;
  state: string;
  nextRunAt: Date | null;
  /** the last UTC day with a message sent */
  lastSendDay: string | null;
  figures: EngagementFigures;
}

export async function campaignOverview(store: Store, campaigns: readonly LoadedCampaign[]): Promise<CampaignOverviewRow[]> {
  const [states, rows] = await Promise.all([
    store.models.CampaignState.find({}, { name: 1, kind: 1, state: 1, nextRunAt: 1 }).lean(),
    readRollups(store),
  ]);
  const totals = sumBy(rows, (r) => r.campaign);
  const lastSend = new Map<string, string>();
  for (const r of rows) if (r.totals.sent > 0 && (lastSend.get(r.campaign) ?? '') < r.day) lastSend.set(r.campaign, r.day);
  const byName = new Map(states.map((s) => [s.name, s]));
  // campaigns removed from the files still show while they have figures
  const names = [...new Set([...campaigns.map((c) => c.name), ...states.map((s) => s.name), ...totals.keys()])].sort();
  return names.map((name) => {
    const s = byName.get(name);
    return {
      name,
      kind: campaigns.find((c) => c.name === name)?.kind ?? s?.kind ?? 'unknown',
      state: s?.state ?? 'not registered',
      nextRunAt: s?.state === 'active' ? (s.nextRunAt ?? null) : null,
      lastSendDay: lastSend.get(name) ?? null,
      figures: engagementFigures(totals.get(name) ?? emptyTotals()),
    };
  });
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (n: number) => `${(n * 100).toFixed(1)}%`;

export function campaignOverviewBody(rows: CampaignOverviewRow[], now: Date): string {
  const when = (d: Date | null) => (d ? `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC${d < now ? ' (due)' : ''}` : '–');
  const body = rows.map((r) => `<tr>
<td><a href="/reports?campaign=${encodeURIComponent(r.name)}">${esc(r.name)}</a></td><td>${esc(r.kind)}</td><td>${esc(r.state)}</td><td>${esc(when(r.nextRunAt))}</td><td>${esc(r.lastSendDay ?? '–')}</td>
<td>${r.figures.sent.toLocaleString('en-US')}</td><td>${pct(r.figures.openRate)}</td><td>${pct(r.figures.ctor)}</td><td>${r.figures.unsubscribes.toLocaleString('en-US')}</td><td>${r.figures.bounces.toLocaleString('en-US')}</td></tr>`).join('');
  return `<h1>Campaigns</h1><p class="muted">${rows.length} campaign(s); figures are all time. Select one for its report.</p>
<div class="scroll"><table><thead><tr><th>Campaign</th><th>Kind</th><th>State</th><th>Next run</th><th>Last send</th><th>Sent</th><th>Unique open rate</th><th>CTOR</th><th>Unsubscribes</th><th>Bounces</th></tr></thead><tbody>${body}</tbody></table></div>`;
}
