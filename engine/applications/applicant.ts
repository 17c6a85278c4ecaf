// The applicant's side of the members collection. An applicant with no member record gets
// one with status "applied" (campaign audiences ask for "active", so nothing but applicant
// messages reaches them); an existing member is never downgraded by applying. Every step of
// an application is appended to the member's `applicationEvents`, which the `application`
// campaign kind turns into messages (received, needs-info, awarded, declined), keyed by event id.
import { DateTime } from 'luxon';
import type { Store } from '../store/index.ts';
import type { ApplicationDoc } from './models.ts';
import type { ResolvedApplicationSpec } from './spec.ts';

export type ApplicantEventType = 'received' | 'needs-info' | 'awarded' | 'declined';

export interface ApplicantEvent {
  /** `<applicationId>:<type>:<n>`: the occurrence key of the message it triggers */
  id: string;
  application: string;
  program: string;
  type: ApplicantEventType;
  at: Date;
  reason?: string;
  /** the last business day of the promise, written out in the program's zone */
  dueDate?: string;
}

/** "Wednesday 18 March 2026": the last business day before `dueAt`, in the program's zone. */
export function promiseDate(spec: ResolvedApplicationSpec, dueAt: Date): string {
  return DateTime.fromJSDate(new Date(dueAt.getTime() - 1), { zone: spec.calendar.zone }).setLocale('en-GB').toFormat('cccc d LLLL yyyy');
}

async function memberIdFor(store: Store, app: ApplicationDoc, spec: ResolvedApplicationSpec, now: Date) {
  const { Member } = store.models;
  const existing = await Member.findOne({ email: app.email }, { _id: 1 }).lean();
  if (existing) return existing._id;
  try {
    const [created] = await Member.insertMany([{
      email: app.email, name: app.name, program: app.program, status: 'applied', appliedAt: app.submittedAt,
      timezone: app.timezone ?? spec.calendar.zone, locale: app.locale ?? 'en', createdAt: now, updatedAt: now,
    }]);
    return created!._id;
  } catch (e) {
    // created meanwhile by a concurrent submission or import: the unique email decides
    if ((e as { code?: number }).code !== 11000) throw e;
    return (await Member.findOne({ email: app.email }, { _id: 1 }).lean())!._id;
  }
}

/** Append an event (idempotent by id) to the applicant's member record, creating an applicant record if needed. */
export async function recordApplicantEvent(store: Store, app: ApplicationDoc, spec: ResolvedApplicationSpec, event: Omit<ApplicantEvent, 'application' | 'program'>, now: Date): Promise<void> {
  const memberId = await memberIdFor(store, app, spec, now);
  const full: ApplicantEvent = { ...event, application: app._id, program: app.program };
  await store.models.Member.updateOne(
    { _id: memberId, 'applicationEvents.id': { $ne: full.id } },
    { $push: { applicationEvents: full } },
  );
}

/** When an award made at `awardedAt` runs out: the program's validity, counted in its time zone. */
export function awardExpiry(awardedAt: Date, spec: ResolvedApplicationSpec): Date {
  return DateTime.fromJSDate(awardedAt, { zone: spec.calendar.zone }).plus(spec.awardValidity).toJSDate();
}

/** Make (or update) the member an award creates: program, dates, status active. Idempotent. */
export async function applyAward(store: Store, app: ApplicationDoc, spec: ResolvedApplicationSpec, awardedAt: Date, now: Date): Promise<{ memberId: string; expiresAt: Date }> {
  const memberId = await memberIdFor(store, app, spec, now);
  const expiresAt = awardExpiry(awardedAt, spec);
  await store.models.Member.updateOne(
    { _id: memberId },
    { $set: { program: app.program, status: 'active', name: app.name, appliedAt: app.submittedAt, awardedAt, expiresAt, updatedAt: now } },
  );
  return { memberId: String(memberId), expiresAt };
}
