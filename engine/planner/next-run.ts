// When a campaign next has something to do, for `flywheel campaigns list` and CampaignState.nextRunAt.
// Member-relative kinds (drip, renewal, case study) run on every scheduler tick: undefined.
import type { LoadedCampaign } from '../campaigns/types.ts';
import { eventTimes } from './event.ts';
import { cronOccurrences, DAY_MS, instantOrLocal, shift } from './time.ts';

export function nextRunAt(campaign: LoadedCampaign, now: Date): Date | undefined {
  const def = campaign.definition;
  switch (def.kind) {
    case 'newsletter': {
      const zone = def.schedule.timezone === 'member' ? 'Pacific/Kiritimati' : def.schedule.timezone; // earliest zone on Earth
      return cronOccurrences(def.schedule.cron, zone, now, new Date(now.getTime() + 400 * DAY_MS))[0];
    }
    case 'event': {
      const { start } = eventTimes(def);
      const zone = def.event.timezone;
      const times = [shift(start, def.invite.before, -1, zone)];
      if (def.reminder) times.push(shift(start, def.reminder.before, -1, zone));
      if (def.dayBefore) times.push(shift(start, def.dayBefore.before ?? { days: 1 }, -1, zone));
      return times.filter((t) => t > now).sort((a, b) => a.getTime() - b.getTime())[0];
    }
    case 'broadcast': {
      const at = instantOrLocal(def.at, 'Pacific/Kiritimati');
      return at > now ? at : undefined;
    }
    default:
      return undefined;
  }
}
