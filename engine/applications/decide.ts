// Deciding an application: award, decline (final, exactly once) or ask for more information
// (any number of times while it is open). The final decision is a keyed insert under the
// application id, so a second award fails on the key even where concurrent updates are not
// atomic. Everything after that insert (status, queue, member, messages) is idempotent and is
// completed again by any later attempt, so a crash between the steps loses nothing.
import { businessDaysBetween } from '../calendar/business-days.ts';
import { FlywheelError } from '../errors.ts';
import { applyAward, promiseDate, recordApplicantEvent } from './applicant.ts';
import type { ApplicationDeps } from './intake.ts';
import { specFor } from './intake.ts';
import { applicationModels, insertOnce, type Actor, type ApplicationDoc, type DecisionDoc } from './models.ts';

export interface DecisionInput {
  decision: 'award' | 'decline' | 'ask';
  by: Actor;
  reason: string;
}

export interface DecisionResult {
  application: ApplicationDoc;
  /** set for an award */
  member?: { memberId: string; expiresAt: Date };
}

const PAST = { award: 'awarded', decline: 'declined' } as const;

export async function decideApplication(deps: ApplicationDeps, id: string, input: DecisionInput, now: Date): Promise<DecisionResult> {
  const reason = input.reason.trim();
  if (!reason) throw new FlywheelError('USAGE', 'A decision needs a reason (--reason "...").', { hint: 'The reason is recorded and, for needs-info, sent to the applicant.' });
  const { Application, ApplicationDecision } = await applicationModels(deps.store);
  const application = await Application.findById(id).lean();
  if (!application) {
    throw new FlywheelError('APPLICATION_NOT_FOUND', `No application with id "${id}".`, { hint: 'List them with `flywheel applications list`.' });
  }
  const spec = specFor(deps, application.program);

  if (input.decision === 'ask') {
    const final = await ApplicationDecision.findById(id).lean();
    if (final) throw alreadyDecided(final as DecisionDoc, 'ask for more information on');
    const n = application.history.filter((h) => h.type === 'needs-info').length + 1;
    await Application.updateOne({ _id: id }, {
      $set: { status: 'needs-info' },
      $push: { history: { type: 'needs-info', at: now, by: input.by, reason } },
    });
    const updated = (await Application.findById(id).lean()) as ApplicationDoc;
    await recordApplicantEvent(deps.store, updated, spec, { id: `${id}:needs-info:${n}`, type: 'needs-info', at: now, reason, dueDate: promiseDate(spec, application.dueAt) }, now);
    return { application: updated };
  }

  const decision: DecisionDoc = {
    _id: id, program: application.program, email: application.email, decision: input.decision, by: input.by, reason,
    at: now, submittedAt: application.submittedAt, dueAt: application.dueAt,
    businessDays: businessDaysBetween(application.submittedAt, now, spec.calendar),
  };
  if (!(await insertOnce(ApplicationDecision as never, decision))) {
    const first = (await ApplicationDecision.findById(id).lean()) as DecisionDoc;
    await completeDecision(deps, first, now);
    throw alreadyDecided(first, input.decision);
  }
  return completeDecision(deps, decision, now);
}

/** Bring the application, the queue, the member and the applicant's messages in line with a recorded decision. Idempotent. */
export async function completeDecision(deps: ApplicationDeps, decision: DecisionDoc, now: Date): Promise<DecisionResult> {
  const { Application, ApplicationQueue } = await applicationModels(deps.store);
  const status = PAST[decision.decision];
  await Application.updateOne({ _id: decision._id, status: { $ne: status } }, {
    $set: { status, decidedAt: decision.at, decidedBy: decision.by, decisionReason: decision.reason },
    $push: { history: { type: status, at: decision.at, by: decision.by, reason: decision.reason } },
  });
  const application = (await Application.findById(decision._id).lean()) as ApplicationDoc;
  const spec = specFor(deps, application.program);
  // the slot may already belong to a newer application of the same person: only free our own
  await ApplicationQueue.deleteOne({ _id: `${application.program}:${application.email}`, applicationId: application._id });
  const member = decision.decision === 'award' ? await applyAward(deps.store, application, spec, decision.at, now) : undefined;
  await recordApplicantEvent(deps.store, application, spec, { id: `${application._id}:${status}`, type: status, at: decision.at, reason: decision.reason }, now);
  return { application, ...(member ? { member } : {}) };
}

function alreadyDecided(d: DecisionDoc, attempted: string): FlywheelError {
  return new FlywheelError(
    'APPLICATION_ALREADY_DECIDED',
    `Cannot ${attempted} application ${d._id}: it was already ${PAST[d.decision]} on ${d.at.toISOString()} by ${d.by.kind} "${d.by.name}" (${d.reason}). Nothing was changed.`,
    { hint: 'A decision is recorded once. To change it, contact the member directly.' },
  );
}
