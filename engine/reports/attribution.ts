// Attribution: which renewal reminders convert. A renewal within N days (per campaign,
// default 14) after a reminder is that reminder's step's conversion; when several reminders
// qualify, the last one before the renewal gets it (last touch). Pure.

import { median } from './membership.ts';

export const DEFAULT_ATTRIBUTION_DAYS = 14;
const DAY_MS = 24 * 3600 * 1000;

export interface Reminder { memberId: string; campaign: string; step: string; at: Date }
export interface Renewal { memberId: string; renewedAt: Date }

export interface StepConversion {
  campaign: string;
  step: string;
  /** reminders of this step sent in the period */
  reminders: number;
  /** renewals attributed to this step */
  conversions: number;
  /** conversions / reminders */
  conversionRate: number | null;
  /** median days from the reminder to the renewal, over conversions */
  medianDaysToRenewal: number | null;
  /** the window used for this campaign */
  windowDays: number;
}

/**
 * `reminders`: every renewal reminder sent to the members concerned (also before the period,
 * so a renewal early in the period finds its reminder); only those inside `period` count as
 * sent. `renewals`: renewals in the period.
 */
export function attributeRenewals(
  reminders: Reminder[],
  renewals: Renewal[],
  period: { from: Date; to: Date },
  windowDays: (campaign: string) => number = () => DEFAULT_ATTRIBUTION_DAYS,
): StepConversion[] {
  const steps = new Map<string, { campaign: string; step: string; reminders: number; days: number[] }>();
  const entry = (campaign: string, step: string) => {
    const k = `${campaign}\u0000${step}`;
    let e = steps.get(k);
    if (!e) steps.set(k, (e = { campaign, step, reminders: 0, days: [] }));
    return e;
  };
  const byMember = new Map<string, Reminder[]>();
  for (const r of reminders) {
    if (r.at >= period.from && r.at < period.to) entry(r.campaign, r.step).reminders++;
    let list = byMember.get(r.memberId);
    if (!list) byMember.set(r.memberId, (list = []));
    list.push(r);
  }
  for (const renewal of renewals) {
    const t = renewal.renewedAt.getTime();
    let best: Reminder | undefined;
    for (const r of byMember.get(renewal.memberId) ?? []) {
      const gap = t - r.at.getTime();
      if (gap < 0 || gap > windowDays(r.campaign) * DAY_MS) continue;
      if (!best || r.at > best.at) best = r;
    }
    if (best) entry(best.campaign, best.step).days.push((t - best.at.getTime()) / DAY_MS);
  }
  return [...steps.values()]
    .sort((a, b) => a.campaign.localeCompare(b.campaign) || a.step.localeCompare(b.step))
    .map((e) => ({
      campaign: e.campaign,
      step: e.step,
      reminders: e.reminders,
      conversions: e.days.length,
      conversionRate: e.reminders ? e.days.length / e.reminders : null,
      medianDaysToRenewal: median(e.days),
      windowDays: windowDays(e.campaign),
    }));
}
