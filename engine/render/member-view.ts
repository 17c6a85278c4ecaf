// The member as templates see it, built in one place for the sender and for previews, so a
// preview shows exactly what the member will read (name trimmed, first name = first word).
import type { MemberView } from './types.ts';

/** The member fields a message may use, from a stored member or a batch's snapshot of one. */
export interface MemberFields {
  id: string;
  email: string;
  name?: string | null;
  program: string;
  locale?: string | null;
  timezone?: string | null;
  country?: string | null;
  expiresAt?: Date | null;
  attributes?: Record<string, unknown> | null;
}

export function memberView(m: MemberFields): MemberView {
  const name = (m.name ?? '').trim();
  return {
    id: m.id,
    email: m.email,
    name,
    firstName: name.split(/\s+/)[0] ?? '',
    program: m.program,
    locale: m.locale || 'en',
    timezone: m.timezone || 'UTC',
    ...(m.country ? { country: m.country } : {}),
    ...(m.expiresAt ? { expiresAt: m.expiresAt } : {}),
    attributes: m.attributes ?? {},
  };
}
