// What a program declares about applying to it: the form's fields, the rules that decide
// the clear cases at once, the promised decision window (business days, in the program's
// time zone) and who reviews. Written by program managers next to their program definitions;
// rules are typed pure functions of the application, so they can be unit-tested and replayed.
import type { BusinessCalendar } from '../calendar/business-days.ts';

export type FieldKind = 'text' | 'textarea' | 'email' | 'url' | 'select';

export interface FieldSpec {
  kind: FieldKind;
  label: string;
  /** default true */
  required?: boolean;
  /** shown under the field */
  help?: string;
  /** for `select`: the allowed values (and their labels) */
  options?: readonly (string | { value: string; label: string })[];
  /** default 200 (textarea: 4000) */
  maxLength?: number;
  /** a regular expression the value must match, with the message shown when it does not */
  pattern?: { regex: RegExp; message: string };
}

/** The application as the rules see it: validated, trimmed, email lower-cased. */
export interface Application<F extends string = string> {
  program: string;
  email: string;
  name: string;
  fields: Readonly<Record<F, string>>;
  submittedAt: Date;
}

/** A rule's verdict; `undefined` means "not my case" and the next rule is asked. */
export type RuleVerdict = { decision: 'award' | 'decline'; reason: string } | undefined;

export interface ApplicationRule<F extends string = string> {
  /** recorded with every decision it makes, e.g. "academic-email" */
  name: string;
  decide(application: Application<F>): RuleVerdict;
}

export interface ApplicationSpec<F extends string = string> {
  fields: Readonly<Record<F, FieldSpec>>;
  /** asked in order; the first verdict decides; none -> manual review */
  rules?: readonly ApplicationRule<NoInfer<F>>[];
  /** the decision promise: business days after submission (default 10) */
  decideWithin?: number;
  /** the program's business calendar (default: the program's time zone, Saturday/Sunday off, no holidays) */
  calendar?: Partial<BusinessCalendar>;
  /** who gets the review digest */
  managers?: readonly string[];
  /** how long an award lasts; default the program's renewal period, else one year */
  awardValidity?: { years?: number; months?: number; days?: number };
  /** shown on the form */
  title?: string;
  intro?: string;
}

export interface ResolvedApplicationSpec extends ApplicationSpec {
  program: string;
  decideWithin: number;
  calendar: BusinessCalendar;
  managers: readonly string[];
  awardValidity: { years?: number; months?: number; days?: number };
}

/** One spec per program that takes applications, typed so rules see only declared field names. */
export function defineApplication<const F extends string>(spec: ApplicationSpec<F>): ApplicationSpec<F> {
  return spec;
}

/** Fill in the defaults; the program's own time zone and renewal period come first. */
export function resolveSpec(program: string, spec: ApplicationSpec, defaults: { zone?: string; validity?: ResolvedApplicationSpec['awardValidity'] } = {}): ResolvedApplicationSpec {
  return {
    ...spec,
    program,
    decideWithin: spec.decideWithin ?? 10,
    calendar: { zone: spec.calendar?.zone ?? defaults.zone ?? 'UTC', weekend: spec.calendar?.weekend, holidays: spec.calendar?.holidays ?? [] },
    managers: spec.managers ?? [],
    awardValidity: spec.awardValidity ?? defaults.validity ?? { years: 1 },
  };
}

// ------------------------------------------------------------------------ rule helpers

/** Award when the email's domain ends with one of these suffixes (e.g. ".edu", ".ac.uk", "uni-heidelberg.de"). */
export function awardIfEmailDomain<F extends string>(name: string, suffixes: readonly string[]): ApplicationRule<F> {
  const normalised = suffixes.map((s) => s.toLowerCase().replace(/^\.?/, ''));
  return {
    name,
    decide: (a) => {
      const domain = a.email.slice(a.email.lastIndexOf('@') + 1);
      const hit = normalised.find((s) => domain === s || domain.endsWith(`.${s}`));
      return hit ? { decision: 'award', reason: `email domain ${domain} is on the list (${hit})` } : undefined;
    },
  };
}

/** Award when a field's value is one of these (compared case-insensitively), e.g. an OSI-approved licence id. */
export function awardIfFieldIn<F extends string>(name: string, field: F, values: readonly string[]): ApplicationRule<F> {
  const allowed = new Map(values.map((v) => [v.toLowerCase(), v]));
  return {
    name,
    decide: (a) => {
      const v = a.fields[field]?.trim().toLowerCase();
      const hit = v ? allowed.get(v) : undefined;
      return hit ? { decision: 'award', reason: `${field} ${hit} is on the list` } : undefined;
    },
  };
}
