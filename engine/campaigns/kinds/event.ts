// Event invitations: an invite (with a calendar file) before the start, a reminder to those
// who have not answered, and a day-before note to those who said yes. Times are the event's.
import { createEvent, type EventAttributes } from 'ics';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { localDateTime as localDateTimeIn, shift } from '../time.ts';
import { luxonZone } from '../zone.ts';
import type { Candidate, PlannedSend } from '../plan-types.ts';
import { base, durationSchema, localDateTime, message, zone } from '../schema.ts';
import type { EventCampaign } from '../types.ts';
import type { CampaignKindModule, KindPlanContext } from './types.ts';

const eventMessage = z.object({ ...message, before: durationSchema }).strict();
const schema = z
  .object({
    ...base,
    kind: z.literal('event'),
    event: z
      .object({
        title: z.string().min(1),
        start: localDateTime,
        end: localDateTime,
        timezone: zone,
        location: z.string().optional(),
        url: z.url().optional(),
        description: z.string().optional(),
        organizer: z.object({ name: z.string(), email: z.email() }).optional(),
      })
      .strict()
      .refine((e) => e.end > e.start, { path: ['end'], message: 'event must end after it starts' }),
    invite: eventMessage,
    reminder: eventMessage.optional(),
    dayBefore: z.object({ ...message, before: durationSchema.optional() }).strict().optional(),
  })
  .strict();

export function eventTimes(def: EventCampaign): { start: Date; end: Date } {
  return { start: localDateTimeIn(def.event.start, def.event.timezone), end: localDateTimeIn(def.event.end, def.event.timezone) };
}

type Attachment = NonNullable<PlannedSend['attachments']>[number];

// Every member gets the same calendar file and, per zone, the same event data: built once per
// definition (a plan of 100,000 members asked for them 100,000 times).
const calendars = new WeakMap<EventCampaign, Map<string, Attachment>>();
const datas = new WeakMap<EventCampaign, Map<string, ReturnType<typeof buildEventData>>>();

function remembered<V>(cache: WeakMap<EventCampaign, Map<string, V>>, def: EventCampaign, key: string, build: () => V): V {
  let byKey = cache.get(def);
  if (!byKey) cache.set(def, (byKey = new Map()));
  let value = byKey.get(key);
  if (value === undefined) {
    value = build();
    if (byKey.size >= 1_000) byKey.clear();
    byKey.set(key, value);
  }
  return value;
}

/** The calendar file for the event; DTSTAMP is the send's due time so the output is deterministic. */
export function eventCalendar(name: string, def: EventCampaign, stamp: Date): Attachment {
  return { ...remembered(calendars, def, `${name}\u0000${stamp.getTime()}`, () => buildEventCalendar(name, def, stamp)) };
}

function buildEventCalendar(name: string, def: EventCampaign, stamp: Date): Attachment {
  const { start, end } = eventTimes(def);
  const attrs: EventAttributes & { timestamp: number } = {
    uid: `${name}@flywheel`,
    productId: 'flywheel/campaigns',
    title: def.event.title,
    start: start.getTime(),
    startInputType: 'utc',
    startOutputType: 'utc',
    end: end.getTime(),
    endInputType: 'utc',
    endOutputType: 'utc',
    timestamp: stamp.getTime(),
    ...(def.event.description ? { description: def.event.description } : {}),
    ...(def.event.location ? { location: def.event.location } : {}),
    ...(def.event.url ? { url: def.event.url } : {}),
    ...(def.event.organizer ? { organizer: def.event.organizer } : {}),
  };
  const { error, value } = createEvent(attrs);
  if (error || !value) throw new Error(`could not build the calendar file for ${name}: ${error?.message ?? 'empty output'}`);
  return { filename: 'invite.ics', contentType: 'text/calendar; charset=utf-8', content: value };
}

function eventData(def: EventCampaign, zone: string): ReturnType<typeof buildEventData> {
  return remembered(datas, def, zone, () => buildEventData(def, zone));
}

function buildEventData(def: EventCampaign, zone: string) {
  const { start, end } = eventTimes(def);
  const local = DateTime.fromJSDate(start, { zone: luxonZone(zone) }).setLocale('en');
  return {
    title: def.event.title,
    start: start.toISOString(),
    end: end.toISOString(),
    // the names templates/event-*.mjml read
    startsAt: start.toISOString(),
    endsAt: end.toISOString(),
    timezone: def.event.timezone,
    /** the start in the member's own zone, for display */
    startLocal: local.toFormat("cccc d LLLL yyyy, HH:mm ZZZZ"),
    location: def.event.location ?? '',
    url: def.event.url ?? '',
    description: def.event.description ?? '',
  };
}

function eventCandidates(def: EventCampaign, ctx: KindPlanContext): Candidate[] {
  const campaign = { name: ctx.campaign };
  const { history } = ctx;
  const zone = def.event.timezone;
  const { start } = eventTimes(def);
  const memberZone = ctx.member.timezone ?? 'UTC';
  const base = { occurrence: '', until: start, topic: 'events' as const, category: 'marketing' as const };
  // static step data may add event fields (joinUrl, image); the computed ones win
  const data = (step: string, spec: { data?: Record<string, unknown> }) => {
    const extra = spec.data?.event && typeof spec.data.event === 'object' ? spec.data.event : {};
    return { ...spec.data, event: { ...extra, ...eventData(def, memberZone) }, rsvp: { campaign: campaign.name, step, answers: ['yes', 'no'] } };
  };
  const out: Candidate[] = [];
  const inviteAt = shift(start, def.invite.before, -1, zone);
  out.push({ ...base, step: 'invite', dueAt: inviteAt, spec: def.invite, data: data('invite', def.invite), attachments: [eventCalendar(campaign.name, def, inviteAt)] });
  const invite = history.sends.find((s) => s.step === 'invite' && s.status === 'sent' && s.sentAt);
  if (def.reminder && invite?.sentAt && history.rsvp === undefined) {
    const remindAt = shift(start, def.reminder.before, -1, zone);
    // someone invited after the reminder date has just been invited: no reminder for them
    if (invite.sentAt < remindAt) out.push({ ...base, step: 'reminder', dueAt: remindAt, spec: def.reminder, data: data('reminder', def.reminder) });
  }
  if (def.dayBefore && history.rsvp === 'yes') {
    const at = shift(start, def.dayBefore.before ?? { days: 1 }, -1, zone);
    out.push({ ...base, step: 'day-before', dueAt: at, spec: def.dayBefore, data: data('day-before', def.dayBefore), attachments: [eventCalendar(campaign.name, def, at)] });
  }
  return out;
}

export const event: CampaignKindModule<EventCampaign> = {
  kind: 'event',
  description: 'an invitation with a calendar file, a reminder to those who have not answered, a note the day before to those who said yes',
  schema,
  messages: (def) => [
    { step: 'invite', path: 'invite', spec: def.invite },
    ...(def.reminder ? [{ step: 'reminder', path: 'reminder', spec: def.reminder }] : []),
    ...(def.dayBefore ? [{ step: 'day-before', path: 'dayBefore', spec: def.dayBefore }] : []),
  ],
  topic: () => 'events',
  candidates: eventCandidates,
  nextRun: (def, now) => {
    const { start } = eventTimes(def);
    const zone = def.event.timezone;
    const times = [shift(start, def.invite.before, -1, zone)];
    if (def.reminder) times.push(shift(start, def.reminder.before, -1, zone));
    if (def.dayBefore) times.push(shift(start, def.dayBefore.before ?? { days: 1 }, -1, zone));
    return times.filter((t) => t > now).sort((a, b) => a.getTime() - b.getTime())[0];
  },
  recheckAtSend: 'no',
  // start long enough before the event that the invitation is still ahead
  sampleFrom: (def) => new Date(eventTimes(def).start.getTime() - 400 * 86_400_000),
};
