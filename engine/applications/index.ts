// The applications stage: intake (form, API, import), rules, the review queue on a
// business-day clock, decisions recorded once, awards that make members, and KPIs.
// It enters the pipeline from the side: an award writes the member that onboarding drips
// plan from, and applicant messages are planned by the `application` campaign kind.
export { defineApplication, awardIfEmailDomain, awardIfFieldIn, type ApplicationSpec, type ApplicationRule, type Application, type FieldSpec, type ResolvedApplicationSpec, type RuleVerdict } from './spec.ts';
export { validateApplication, type FieldErrors, type ValidApplication } from './validate.ts';
export { decideByRules, type RuleOutcome } from './rules.ts';
export { submitApplication, storeApplication, specFor, type ApplicationDeps, type SubmitResult } from './intake.ts';
export { decideApplication, completeDecision, type DecisionInput, type DecisionResult } from './decide.ts';
export { listApplications, openApplications, digestFor, businessDaysLeft, isOverdue, LIST_STATUSES, type ListStatus, type QueueApplication, type Digest } from './queue.ts';
export { applicationKpis, applicationStats, type ApplicationKpis } from './kpis.ts';
export { loadApplicationSpecs, resolveApplicationSpecs } from './load.ts';
export { awardExpiry, type ApplicantEvent, type ApplicantEventType } from './applicant.ts';
export { applicationModels, type ApplicationModels, APPLICATION_STATUSES, type ApplicationDoc, type DecisionDoc, type ApplicationStatus } from './models.ts';

import type { ApplicationSpec } from './spec.ts';
/** The user's file: one application spec per program that takes applications. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function defineApplications<const T extends Record<string, ApplicationSpec<any>>>(specs: T): T {
  return specs;
}
export { importApplications, type ApplicationImportResult } from './import.ts';
export { sendReviewDigests, digestMessage, digestDueAt, type DigestDeps } from './digest.ts';
/** The Agenda job that sends the managers' review digests (hourly; each program once per business day). */
export const REVIEW_DIGEST_JOB = 'flywheel:application-digest';
