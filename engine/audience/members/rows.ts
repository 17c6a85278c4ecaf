// One imported member row -> a validated upsert. CSV cells arrive as strings, JSON values
// typed; both go through the same schema so the same mistakes get the same messages.
import { z } from 'zod';
import { DateTime, IANAZone } from 'luxon';
import { MEMBER_STATUSES, TOPICS } from '../../store/models.ts';

/** Zone names seen so far: luxon checks a zone by building an Intl formatter (about 1 ms each). */
const zoneValidity = new Map<string, boolean>();
function isKnownZone(zone: string): boolean {
  let valid = zoneValidity.get(zone);
  if (valid === undefined) zoneValidity.set(zone, (valid = IANAZone.isValidZone(zone)));
  return valid;
}

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/**
 * A plain `YYYY-MM-DD` (what spreadsheets export) as UTC midnight, without luxon: parsing with it
 * was a fifth of an import's validation time. Impossible days (2026-02-30) fall through to luxon,
 * which rejects them with the usual message.
 */
function calendarDay(v: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d ? date : undefined;
}

const date = z.preprocess(
  blankToUndefined,
  z
    .union([z.string(), z.date()])
    .transform((v, ctx) => {
      if (v instanceof Date) return v;
      const day = calendarDay(v.trim());
      if (day) return day;
      const d = DateTime.fromISO(v.trim(), { zone: 'UTC' });
      if (!d.isValid) {
        ctx.addIssue({ code: 'custom', message: `bad date ${JSON.stringify(v)} (use YYYY-MM-DD or an ISO date-time)` });
        return z.NEVER;
      }
      return d.toJSDate();
    })
    .optional(),
);

const bool = z.preprocess((v) => {
  const s = typeof v === 'string' ? v.trim().toLowerCase() : v;
  if (s === '' || s === undefined) return undefined;
  if (s === true || s === 'true' || s === 'yes' || s === '1') return true;
  if (s === false || s === 'false' || s === 'no' || s === '0') return false;
  return s;
}, z.boolean({ error: 'must be true/false, yes/no or 1/0' }).optional());

const list = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(/[;|]/).map((t) => t.trim()).filter(Boolean) : v),
  z.array(z.string().min(1)).optional(),
);

export const memberRowSchema = z
  .object({
    email: z.string({ error: 'email is required' }).trim().toLowerCase().pipe(z.email({ error: (i) => `invalid email ${JSON.stringify(i.input)}` })),
    name: z.preprocess(blankToUndefined, z.string().trim().optional()),
    // checked against the declared programs (campaigns/programs.ts) by the importer
    program: z.preprocess(
      (v) => (typeof v === 'string' ? v.trim().toLowerCase() : v),
      z.string({ error: 'program is required' }).min(1, 'program is required'),
    ),
    status: z.preprocess(blankToUndefined, z.enum(MEMBER_STATUSES, { error: (i) => `unknown status ${JSON.stringify(i.input)} (known: ${MEMBER_STATUSES.join(', ')})` }).optional()),
    locale: z.preprocess(blankToUndefined, z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'locale must look like "en" or "pt-BR"').optional()),
    timezone: z.preprocess(blankToUndefined, z.string().refine((v) => isKnownZone(v), { error: (i) => `unknown time zone ${JSON.stringify(i.input)}` }).optional()),
    country: z.preprocess((v) => (typeof v === 'string' ? blankToUndefined(v.trim().toUpperCase()) : v), z.string().regex(/^[A-Z]{2}$/, 'country must be a 2-letter ISO code').optional()),
    appliedAt: date,
    awardedAt: date,
    expiresAt: date,
    unsubscribedAt: date,
    tags: list,
    newsletter: bool,
    events: bool,
    caseStudies: bool,
    attributes: z.record(z.string(), z.unknown()).optional(),
    renewals: z.array(z.object({ renewedAt: date, expiresAt: date })).optional(),
  })
  .strict();

export type MemberRow = z.output<typeof memberRowSchema>;

/** The $set part of an upsert: only fields the row provides, so a partial file never blanks others. */
export function memberUpdate(row: MemberRow): { email: string; set: Record<string, unknown> } {
  const set: Record<string, unknown> = {};
  for (const key of ['name', 'program', 'status', 'locale', 'timezone', 'country', 'appliedAt', 'awardedAt', 'expiresAt', 'unsubscribedAt', 'tags', 'renewals'] as const) {
    if (row[key] !== undefined) set[key] = row[key];
  }
  for (const topic of TOPICS) if (row[topic] !== undefined) set[`topics.${topic}`] = row[topic];
  for (const [k, v] of Object.entries(row.attributes ?? {})) set[`attributes.${k}`] = v;
  return { email: row.email, set };
}

/** CSV header -> schema key: `attr.seats` / `attributes.seats` become attributes; `topics.events` becomes `events`. */
export function csvRecordToInput(record: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const attributes: Record<string, unknown> = {};
  for (const [header, value] of Object.entries(record)) {
    const h = header.trim();
    const attr = /^(?:attr|attributes)\.(.+)$/.exec(h);
    if (attr?.[1]) {
      if (value.trim() !== '') attributes[attr[1]] = value.trim();
      continue;
    }
    out[h.replace(/^topics\./, '')] = value;
  }
  if (Object.keys(attributes).length) out.attributes = attributes;
  return out;
}
