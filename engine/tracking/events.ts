// What a member's own choices do to the data: unsubscribes, topic opt-outs, RSVPs and survey
// comments. Pixel, click and survey hits do not come here (hit-writer.ts writes them in bulk);
// these are rare, and each is written when it is made. Everything is keyed by what the
// verified token says, so a repeated request changes nothing.
import { markPlanningInputs } from '../store/plan-marks.ts';
import { Types } from 'mongoose';
import type { Clock } from '../clock.ts';
import type { Store, Topic } from '../store/index.ts';
import type { CounterBuffer } from '../reports/counters.ts';
import type { RawEventData, RawEventType } from '../reports/raw-events.ts';
import { insertKeyed } from '../store/keyed-insert.ts';
import { liftTopicSuppression, suppress } from '../ledger/index.ts';
import { FlywheelError } from '../errors.ts';
import type { RecipientRef } from './tokens.ts';
import { storedId } from '../store/member-id.ts';

export interface TrackingDeps {
  store: Store;
  counters: CounterBuffer;
  clock: Clock;
}

export type UnsubscribeVia = 'link' | 'one-click' | 'mailto' | 'preferences' | 'provider';


/**
 * Record one raw event under `key` (reports/raw-events.ts says what each type counts) and
 * count it if it is new. Events keep ids as the strings the token carried.
 */
export async function recordEvent(deps: TrackingDeps, ref: Omit<RecipientRef, 'sentAt'>, type: RawEventType | `provider-${string}`, at: Date, key: string, data?: RawEventData & Record<string, unknown>): Promise<boolean> {
  const doc = { _id: key, key, type, sendLogId: ref.sendLogId, memberId: ref.memberId, campaign: ref.campaign, step: ref.step, program: ref.program ?? null, at, data };
  const dup = await insertKeyed(deps.store.models.Event.collection, [doc]);
  if (dup.has(0)) return false;
  if (!type.startsWith('provider-')) deps.counters.countEvent({ campaign: ref.campaign, step: ref.step, program: ref.program, at }, type as RawEventType, data);
  return true;
}

/** The member a token names, with what the pages show; SEND_NOT_FOUND when they were erased or never existed. */
export async function memberFor(store: Store, ref: RecipientRef): Promise<{ email: string; topics: Partial<Record<Topic, boolean>> }> {
  const m = await store.models.Member.findById(storedId(ref.memberId), { email: 1, topics: 1, erasedAt: 1 }).lean();
  if (!m || m.erasedAt) throw new FlywheelError('SEND_NOT_FOUND', 'This link refers to a member we have no record of.');
  return { email: m.email, topics: (m.topics ?? {}) as Partial<Record<Topic, boolean>> };
}

/** Global unsubscribe: idempotent; counted once per member (the suppression's key decides). */
export async function unsubscribeMember(deps: TrackingDeps, ref: RecipientRef, via: UnsubscribeVia, at: Date): Promise<{ first: boolean }> {
  let email: string;
  try {
    ({ email } = await memberFor(deps.store, ref));
  } catch (e) {
    if (e instanceof FlywheelError && e.code === 'SEND_NOT_FOUND') return { first: false }; // erased: nothing left to mail
    throw e;
  }
  await suppress(deps.store, email, 'unsubscribed', at, { detail: `${via} from ${ref.campaign}/${ref.step}` });
  await deps.store.models.Member.updateOne({ _id: storedId(ref.memberId), unsubscribedAt: { $exists: false } } as never, { $set: { unsubscribedAt: at } });
  // counted once per member, by the event's key (a journal replay or a second click changes nothing)
  const first = await recordEvent(deps, ref, 'unsubscribe', at, `unsubscribe:${ref.memberId}`, { via });
  return { first };
}

/** Preference centre: topics on or off. Turning a topic off suppresses it at send time too. */
export async function setTopics(deps: TrackingDeps, ref: RecipientRef, topics: Record<Topic, boolean>): Promise<void> {
  const now = deps.clock.now();
  const { email } = await memberFor(deps.store, ref);
  await deps.store.models.Member.updateOne({ _id: storedId(ref.memberId) }, { $set: Object.fromEntries(Object.entries(topics).map(([t, on]) => [`topics.${t}`, on])) });
  for (const [topic, on] of Object.entries(topics)) {
    if (on) await liftTopicSuppression(deps.store, email, topic);
    else await suppress(deps.store, email, 'topic-opt-out', now, { topic, detail: 'preference centre' });
  }
}

/** RSVP: every answer is kept; the latest one counts (planners read it from the events). */
export async function recordRsvp(deps: TrackingDeps, ref: RecipientRef, answer: 'yes' | 'no'): Promise<void> {
  const now = deps.clock.now();
  const earlier = await deps.store.models.Event.collection.find({ sendLogId: ref.sendLogId, type: 'rsvp' } as never, { projection: { data: 1, at: 1 } }).sort({ at: 1 }).toArray();
  const previous = (earlier.at(-1)?.data as { answer?: 'yes' | 'no' } | undefined)?.answer ?? null;
  await recordEvent(deps, ref, 'rsvp', now, `rsvp:${ref.sendLogId}:${now.getTime()}:${new Types.ObjectId().toHexString()}`, { memberId: ref.memberId, answer, previous });
  // the answer decides the event's reminder and day-before note
  await markPlanningInputs(deps.store.db, { members: [ref.memberId] });
}

/** The optional comment under a survey answer; kept on the member's answer for that step. */
export async function recordSurveyComment(deps: TrackingDeps, ref: RecipientRef, comment: string): Promise<void> {
  const key = `csat:${ref.campaign}:${ref.step}:${ref.memberId}`;
  const now = deps.clock.now();
  await deps.store.models.Event.collection.updateOne(
    { _id: key } as never,
    { $set: { comment: comment.slice(0, 2000), commentAt: now }, $setOnInsert: { key, type: 'csat', at: now, campaign: ref.campaign, step: ref.step, program: ref.program ?? null, memberId: ref.memberId, sendLogId: ref.sendLogId } },
    { upsert: true },
  );
}
