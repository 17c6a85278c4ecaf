// Taking an application in, from the form, the API or an import row: validate against the
// program's fields, find the open application for (program, email) by key or open one,
// record it for the applicant's messages, then let the program's rules decide the clear cases.
import { randomBytes } from 'node:crypto';
import { addBusinessDays } from '../calendar/business-days.ts';
import { FlywheelError } from '../errors.ts';
import type { Store } from '../store/index.ts';
import { promiseDate, recordApplicantEvent } from './applicant.ts';
import { decideApplication } from './decide.ts';
import { applicationModels, insertOnce, type ApplicationDoc } from './models.ts';
import { decideByRules } from './rules.ts';
import type { ResolvedApplicationSpec } from './spec.ts';
import { validateApplication, type FieldErrors, type ValidApplication } from './validate.ts';

export interface ApplicationDeps {
  store: Store;
  /** the programs that take applications, by program name */
  specs: ReadonlyMap<string, ResolvedApplicationSpec>;
}

export type SubmitResult =
  | { ok: false; errors: FieldErrors }
  | { ok: true; application: ApplicationDoc; resubmitted: boolean; ruleFailures: { rule: string; error: string }[] };

export function specFor(deps: ApplicationDeps, program: string): ResolvedApplicationSpec {
  const spec = deps.specs.get(program);
  if (!spec) {
    throw new FlywheelError('APPLICATION_UNKNOWN_PROGRAM', `The program "${program}" does not take applications.`, {
      hint: `Programs that do: ${[...deps.specs.keys()].join(', ') || '(none declared)'}.`,
    });
  }
  return spec;
}

/** base32, no look-alikes: short enough to type in `flywheel applications award ID` */
export function newApplicationId(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  return `app-${[...randomBytes(10)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

export async function submitApplication(deps: ApplicationDeps, program: string, input: Record<string, unknown>, now: Date): Promise<SubmitResult> {
  const spec = specFor(deps, program);
  const checked = validateApplication(spec, input);
  if (!checked.ok) return { ok: false, errors: checked.errors };
  return storeApplication(deps, spec, checked.value, now);
}

/** Store a validated application: a new one, or an update of the open one for (program, email). */
export async function storeApplication(deps: ApplicationDeps, spec: ResolvedApplicationSpec, value: ValidApplication, now: Date, id = newApplicationId()): Promise<SubmitResult & { ok: true }> {
  const { Application, ApplicationQueue } = await applicationModels(deps.store);
  const key = `${spec.program}:${value.email}`;
  const dueAt = addBusinessDays(now, spec.decideWithin, spec.calendar);
  const claimed = await insertOnce(ApplicationQueue as never, { _id: key, applicationId: id, program: spec.program, dueAt });
  const slot = claimed ? { applicationId: id } : await ApplicationQueue.findById(key).lean();
  if (!slot) throw new FlywheelError('APPLICATION_BUSY', 'The application was decided while it was being resubmitted; please submit it again.');

  const existing = await Application.findById(slot.applicationId).lean();
  let application: ApplicationDoc;
  if (existing && existing.status !== 'awarded' && existing.status !== 'declined') {
    // the same person again: their latest answers replace the earlier ones; the clock keeps the first submission
    await Application.updateOne({ _id: existing._id }, {
      $set: {
        name: value.name, fields: value.fields, lastSubmittedAt: now, status: 'pending',
        ...(value.timezone ? { timezone: value.timezone } : {}), ...(value.locale ? { locale: value.locale } : {}),
      },
      $inc: { submissions: 1 },
      $push: { history: { type: 'resubmitted', at: now, by: { kind: 'applicant', name: value.email } } },
    });
    application = (await Application.findById(existing._id).lean()) as ApplicationDoc;
  } else {
    // new, or the queue slot outlived a crash between its insert and this one: (re)create under the slot's id
    const doc = {
      _id: slot.applicationId, program: spec.program, email: value.email, name: value.name, fields: value.fields,
      status: 'pending', submittedAt: now, lastSubmittedAt: now, submissions: 1, dueAt,
      history: [{ type: 'received', at: now, by: { kind: 'applicant', name: value.email } }],
      ...(value.timezone ? { timezone: value.timezone } : {}), ...(value.locale ? { locale: value.locale } : {}),
    };
    if (!(await insertOnce(Application as never, doc))) {
      application = (await Application.findById(slot.applicationId).lean()) as ApplicationDoc;
      if (application.status === 'awarded' || application.status === 'declined') {
        throw new FlywheelError('APPLICATION_BUSY', 'The application was decided while it was being resubmitted; please submit it again.');
      }
    } else {
      application = doc as unknown as ApplicationDoc;
    }
    await recordApplicantEvent(deps.store, application, spec, { id: `${application._id}:received`, type: 'received', at: now, dueDate: promiseDate(spec, application.dueAt) }, now);
  }
  return { ok: true, resubmitted: Boolean(existing), ...(await autoDecide(deps, spec, application, now)) };
}

async function autoDecide(deps: ApplicationDeps, spec: ResolvedApplicationSpec, application: ApplicationDoc, now: Date) {
  const outcome = decideByRules(spec, {
    program: application.program, email: application.email, name: application.name,
    fields: application.fields as Record<string, string>, submittedAt: application.submittedAt,
  });
  if (outcome.decision === 'review') return { application, ruleFailures: outcome.failures };
  const decided = await decideApplication(deps, application._id, { decision: outcome.decision, by: { kind: 'rule', name: outcome.rule }, reason: outcome.reason }, now);
  return { application: decided.application, ruleFailures: [] };
}
