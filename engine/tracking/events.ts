// What an engagement event does to the data: opens, clicks, unsubscribes, topic opt-outs
// and RSVPs, each recorded once where it must be once (unique event keys), and counted at
// event time so reports never scan raw events.
import type { Clock } from '../clock.ts';
import type { Store, Topic } from '../store/index.ts';
import type { CounterBuffer } from '../reports/counters.ts';
import { insertKeyed } from '../store/keyed-insert.ts';
import { liftTopicSuppression, recordFirstClick, recordFirstOpen, sendForTracking, suppress } from '../ledger/index.ts';
import { FlywheelError } from '../errors.ts';
import type { RawEventData, RawEventType } from '../reports/raw-events.ts';

export interface TrackingDeps {
  store: Store;
  counters: CounterBuffer;
  clock: Clock;
}

export interface SendContext {
  sendLogId: string;
  campaign: string;
  step: string;
  program?: string;
  memberId: string;
  email: string;
}

export async function sendContext(store: Store, sendLogId: string): Promise<SendContext> {
  const r = await sendForTracking(store, sendLogId);
  if (!r) throw new FlywheelError('SEND_NOT_FOUND', 'This link refers to a message we have no record of.');
  return { sendLogId, ...r };
}

/** Insert an event under a unique key; true if it is the first with that key. */
async function firstEvent(store: Store, key: string, doc: Record<string, unknown>): Promise<boolean> {
  const dup = await insertKeyed(store.models.Event.collection, [{ key, ...doc }]);
  return !dup.has(0);
}

let occurrenceSeq = 0;
/** A key for an event that may happen many times (every open, every click). */
function occurrenceKey(type: string, ctx: SendContext, now: Date): string {
  return `${type}:${ctx.sendLogId}:${now.getTime()}:${process.pid}.${++occurrenceSeq}`;
}

/** Record one raw event (reports/raw-events.ts says what each type counts) and count it. */
async function recordEvent(deps: TrackingDeps, ctx: SendContext, type: RawEventType, now: Date, options: { key?: string; data?: RawEventData & Record<string, unknown> } = {}): Promise<boolean> {
  const doc = { type, sendLogId: ctx.sendLogId, campaign: ctx.campaign, step: ctx.step, program: ctx.program, at: now, data: options.data };
  const first = await firstEvent(deps.store, options.key ?? occurrenceKey(type, ctx, now), doc);
  if (first) deps.counters.countEvent({ ...ctx, at: now }, type, options.data);
  return first;
}

export async function recordOpen(deps: TrackingDeps, ctx: SendContext): Promise<{ unique: boolean }> {
  const now = deps.clock.now();
  await recordEvent(deps, ctx, 'open', now, { data: { machine: false } });
  const unique = await recordEvent(deps, ctx, 'first-open', now, { key: `open:${ctx.sendLogId}` });
  if (unique) {
    await Promise.all([
      recordFirstOpen(deps.store, ctx.sendLogId, now),
      deps.store.models.Member.updateOne({ _id: ctx.memberId }, { $set: { lastOpenedAt: now } }),
    ]);
  }
  return { unique };
}

export async function recordClick(deps: TrackingDeps, ctx: SendContext, target: string): Promise<{ unique: boolean }> {
  const now = deps.clock.now();
  await recordEvent(deps, ctx, 'click', now, { data: { url: target } });
  const unique = await recordEvent(deps, ctx, 'first-click', now, { key: `click:${ctx.sendLogId}` });
  if (unique) {
    await Promise.all([
      recordFirstClick(deps.store, ctx.sendLogId, now),
      deps.store.models.Member.updateOne({ _id: ctx.memberId }, { $set: { lastClickedAt: now, lastOpenedAt: now } }),
    ]);
    // A click proves an open even when images were blocked.
    if (await recordEvent(deps, ctx, 'first-open', now, { key: `open:${ctx.sendLogId}`, data: { via: 'click' } })) {
      await recordFirstOpen(deps.store, ctx.sendLogId, now);
    }
  }
  return { unique };
}

/** Global unsubscribe: idempotent; counted once per member. */
export async function recordUnsubscribe(deps: TrackingDeps, ctx: SendContext, via: 'link' | 'one-click' | 'mailto' | 'preferences'): Promise<{ first: boolean }> {
  const now = deps.clock.now();
  const first = await suppress(deps.store, ctx.email, 'unsubscribed', now, { detail: `${via} from ${ctx.campaign}/${ctx.step}` });
  if (first) {
    await recordEvent(deps, ctx, 'unsubscribe', now, { key: `unsubscribe:${ctx.memberId}`, data: { via } });
    await deps.store.models.Member.updateOne({ _id: ctx.memberId }, { $set: { unsubscribedAt: now } });
  }
  return { first };
}

/** Preference centre: topics on or off. Turning a topic off suppresses it at send time too. */
export async function setTopics(deps: TrackingDeps, ctx: SendContext, topics: Record<Topic, boolean>): Promise<void> {
  const now = deps.clock.now();
  await deps.store.models.Member.updateOne({ _id: ctx.memberId }, { $set: Object.fromEntries(Object.entries(topics).map(([t, on]) => [`topics.${t}`, on])) });
  for (const [topic, on] of Object.entries(topics)) {
    if (on) await liftTopicSuppression(deps.store, ctx.email, topic);
    else await suppress(deps.store, ctx.email, 'topic-opt-out', now, { topic, detail: 'preference centre' });
  }
}

/** RSVP: every answer is kept; the latest one counts (planners read it from the events). */
export async function recordRsvp(deps: TrackingDeps, ctx: SendContext, answer: 'yes' | 'no'): Promise<void> {
  const now = deps.clock.now();
  // Raw collection: events keep the send-log id as the string the link carried.
  const earlier = await deps.store.models.Event.collection.find({ sendLogId: ctx.sendLogId, type: 'rsvp' } as never, { projection: { data: 1, at: 1 } }).sort({ at: 1 }).toArray();
  const previous = (earlier.at(-1)?.data as { answer?: 'yes' | 'no' } | undefined)?.answer ?? null;
  await recordEvent(deps, ctx, 'rsvp', now, { data: { memberId: ctx.memberId, answer, previous } });
}
