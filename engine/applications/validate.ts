// An application as submitted (form, JSON or an import row) -> a validated value, or an
// error per field that names the field and says what to do. Pure; the same messages for
// every way in, so the form, the API and the import agree.
import { z } from 'zod';
import { IANAZone } from 'luxon';
import type { FieldSpec, ResolvedApplicationSpec } from './spec.ts';

/** Fields every program asks for, before its own. */
export const BASE_FIELDS = ['name', 'email'] as const;
/** Optional extras an API client or import may send. */
export const OPTIONAL_FIELDS = ['timezone', 'locale'] as const;
/** The form's trap for robots: a field people never see, so a value in it means a robot. */
export const HONEYPOT_FIELD = 'website';

export interface ValidApplication {
  email: string;
  name: string;
  timezone?: string;
  locale?: string;
  fields: Record<string, string>;
}

export type FieldErrors = Record<string, string>;

export type Validation = { ok: true; value: ValidApplication } | { ok: false; errors: FieldErrors };

const emailSchema = z.email();
// control characters other than tab and newline have no business in a form answer
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

function optionValues(spec: FieldSpec): string[] {
  return (spec.options ?? []).map((o) => (typeof o === 'string' ? o : o.value));
}

/** Check one program-specific value; returns the message for a problem, or undefined. */
function checkField(spec: FieldSpec, value: string): string | undefined {
  const max = spec.maxLength ?? (spec.kind === 'textarea' ? 4000 : 200);
  if (value.length > max) return `must be at most ${max} characters (it has ${value.length})`;
  if (CONTROL.test(value) || (spec.kind !== 'textarea' && /[\r\n]/.test(value))) return 'contains characters that are not allowed';
  if (spec.kind === 'email' && !emailSchema.safeParse(value).success) return `"${value}" is not an email address`;
  if (spec.kind === 'url') {
    let ok = false;
    try {
      const u = new URL(value);
      ok = u.protocol === 'https:' || u.protocol === 'http:';
    } catch { /* not a URL */ }
    if (!ok) return 'must be a web address starting with https://';
  }
  if (spec.kind === 'select' && !optionValues(spec).includes(value)) return `choose one of: ${optionValues(spec).join(', ')}`;
  if (spec.pattern && !spec.pattern.regex.test(value)) return spec.pattern.message;
  return undefined;
}

function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

export function validateApplication(spec: ResolvedApplicationSpec, input: Record<string, unknown>): Validation {
  const errors: FieldErrors = {};
  const known = new Set<string>([...BASE_FIELDS, ...OPTIONAL_FIELDS, ...Object.keys(spec.fields)]);
  for (const key of Object.keys(input)) {
    if (!known.has(key)) errors[key] = `is not a field of this application (fields: ${[...BASE_FIELDS, ...Object.keys(spec.fields)].join(', ')})`;
  }
  for (const [key, v] of Object.entries(input)) {
    if (known.has(key) && v !== undefined && v !== null && text(v) === undefined) errors[key] = 'must be text';
  }

  const name = text(input.name) ?? '';
  if (!name) errors.name ??= 'is required';
  else if (name.length > 200) errors.name ??= 'must be at most 200 characters';
  else if (CONTROL.test(name) || /[\r\n]/.test(name)) errors.name ??= 'contains characters that are not allowed';

  const email = (text(input.email) ?? '').toLowerCase();
  if (!email) errors.email ??= 'is required';
  else if (email.length > 254 || !emailSchema.safeParse(email).success) errors.email ??= `"${email.slice(0, 254)}" is not an email address`;

  const timezone = text(input.timezone) || undefined;
  if (timezone && !IANAZone.isValidZone(timezone)) errors.timezone ??= `unknown time zone "${timezone}" (use an IANA name such as Europe/Berlin)`;
  const locale = text(input.locale) || undefined;
  if (locale && !/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(locale)) errors.locale ??= 'must look like "en" or "pt-BR"';

  const fields: Record<string, string> = {};
  for (const [key, fieldSpec] of Object.entries(spec.fields)) {
    if (errors[key]) continue;
    const value = text(input[key]) ?? '';
    if (!value) {
      if (fieldSpec.required !== false) errors[key] = 'is required';
      continue;
    }
    const problem = checkField(fieldSpec, value);
    if (problem) errors[key] = problem;
    else fields[key] = value;
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, value: { email, name, fields, ...(timezone ? { timezone } : {}), ...(locale ? { locale } : {}) } };
}
