// The review queue: which open applications are pending, waiting for the applicant, overdue,
// or due soon (the managers' digest). Decisions here are pure functions of the applications
// and `now`; the loaders read only the open queue (keyed by program and email), so their cost
// grows with the applications waiting, not with every application ever received.
import { businessDaysBetween } from '../calendar/business-days.ts';
import type { ApplicationDeps } from './intake.ts';
import { applicationModels, type ApplicationDoc, type ApplicationStatus } from './models.ts';
import type { ResolvedApplicationSpec } from './spec.ts';

import { LIST_STATUSES, type ListStatus } from './list-statuses.ts';
export { LIST_STATUSES, type ListStatus };

export type QueueApplication = Pick<ApplicationDoc, '_id' | 'program' | 'email' | 'name' | 'status' | 'submittedAt' | 'dueAt' | 'fields'> & { status: ApplicationStatus | string };

export function isOpen(app: { status: string }): boolean {
  return app.status === 'pending' || app.status === 'needs-info';
}

export function isOverdue(app: QueueApplication, now: Date): boolean {
  return isOpen(app) && now.getTime() >= app.dueAt.getTime();
}

export function matchesStatus(app: QueueApplication, status: ListStatus, now: Date): boolean {
  return status === 'overdue' ? isOverdue(app, now) : app.status === status;
}

/** Business days left before the promise runs out (0 = due by the end of today; negative = overdue). */
export function businessDaysLeft(app: QueueApplication, spec: ResolvedApplicationSpec, now: Date): number {
  // overdue by the business days since the last day of the promise, today included
  if (isOverdue(app, now)) return -Math.max(1, businessDaysBetween(new Date(app.dueAt.getTime() - 1), now, spec.calendar));
  return businessDaysBetween(now, new Date(app.dueAt.getTime() - 1), spec.calendar);
}

export interface Digest {
  program: string;
  overdue: QueueApplication[];
  /** open, not yet overdue, due within `withinBusinessDays` */
  dueSoon: QueueApplication[];
}

/** What a program's managers are reminded of: overdue applications, and those due within N business days. */
export function digestFor(spec: ResolvedApplicationSpec, open: readonly QueueApplication[], now: Date, withinBusinessDays = 2): Digest {
  const mine = open.filter((a) => a.program === spec.program && isOpen(a)).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  return {
    program: spec.program,
    overdue: mine.filter((a) => isOverdue(a, now)),
    dueSoon: mine.filter((a) => !isOverdue(a, now) && businessDaysLeft(a, spec, now) <= withinBusinessDays),
  };
}

/** Every open application (optionally of one program), read through the queue by key. */
export async function openApplications(deps: ApplicationDeps, program?: string): Promise<QueueApplication[]> {
  const { Application, ApplicationQueue } = await applicationModels(deps.store);
  const slots = await ApplicationQueue.find(program ? { program } : {}, { applicationId: 1 }).lean();
  if (slots.length === 0) return [];
  const apps = await Application.find({ _id: { $in: slots.map((s) => s.applicationId) } }, { history: 0 }).lean();
  return apps.filter(isOpen) as QueueApplication[];
}

export async function listApplications(deps: ApplicationDeps, filter: { program?: string; status?: ListStatus }, now: Date): Promise<QueueApplication[]> {
  let apps: QueueApplication[];
  if (!filter.status || filter.status === 'pending' || filter.status === 'needs-info' || filter.status === 'overdue') {
    apps = await openApplications(deps, filter.program);
  } else {
    const { Application } = await applicationModels(deps.store);
    apps = (await Application.find({ status: filter.status, ...(filter.program ? { program: filter.program } : {}) }, { history: 0 }).lean()) as QueueApplication[];
  }
  return apps
    .filter((a) => !filter.status || matchesStatus(a, filter.status, now))
    .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a._id.localeCompare(b._id));
}
