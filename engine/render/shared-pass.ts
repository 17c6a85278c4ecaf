// First Handlebars pass, run once per (template, data, locale) at compile time.
// Campaign data is filled in for good; anything that depends on the recipient
// (member fields, dates in the member's time zone, signed URLs) is written back
// out as a second-pass Handlebars expression, with data arguments baked in as
// literals. MJML then compiles that half-filled document exactly once.
import Handlebars from 'handlebars';
import { DateTime } from 'luxon';
import { dateFormatIsKnown, pluralText } from './formatting.ts';
import type { LinkKey } from './links.ts';

/** A value only known per recipient; prints as its second-pass expression. */
export class Deferred extends Handlebars.SafeString {
  constructor(readonly expr: string) {
    super(`{{${expr}}}`);
  }
}

/** What first-pass helpers share through Handlebars' `@data`. */
export interface SharedPassData {
  locale: string;
  /** special links (unsubscribe, rsvp, ...) the template asked for */
  links: Set<LinkKey>;
}

// Characters in campaign data that the second pass would read as syntax
// (`{{` opens an expression, `\{{` escapes one). Data strings carry private-use
// stand-ins through the first pass and MJML; they become entities (HTML) or
// literal-producing expressions (text) before the second pass is compiled.
export const BRACE_STANDIN = '\uE07B';
export const BACKSLASH_STANDIN = '\uE05C';
const STANDINS = /[\uE07B\uE05C]/g;

export function neutraliseData<T>(value: T): T {
  return neutralise(value) as T;
}

function neutralise(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(STANDINS, '').replaceAll('{', BRACE_STANDIN).replaceAll('\\', BACKSLASH_STANDIN);
  if (Array.isArray(value)) return value.map(neutralise);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = neutralise(v);
    return out;
  }
  return value;
}

export function restoreStandins(s: string): string {
  return s.replaceAll(BRACE_STANDIN, '{').replaceAll(BACKSLASH_STANDIN, '\\');
}

/** Member fields a template may use; optional ones may be absent for some members. */
export const MEMBER_FIELDS = ['id', 'email', 'name', 'firstName', 'program', 'locale', 'timezone', 'country', 'expiresAt'] as const;
export const OPTIONAL_MEMBER_FIELDS = new Set(['country', 'expiresAt']);

/** Stands in for the member during the first pass: every field defers to the second pass. */
export function memberPlaceholder(): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  for (const f of MEMBER_FIELDS) m[f] = new Deferred(`member.${f}`);
  // attributes are free-form per program; any well-formed name defers (the second pass is strict about presence)
  m.attributes = new Proxy({} as Record<string, unknown>, {
    has: (_t, k) => typeof k === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k),
    get: (_t, k) => (typeof k === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? new Deferred(`member.attributes.${k}`) : undefined),
    getOwnPropertyDescriptor: (_t, k) =>
      typeof k === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)
        ? { value: new Deferred(`member.attributes.${k}`), writable: false, enumerable: true, configurable: true }
        : undefined,
  });
  return m;
}

/** A second-pass literal for a first-pass value. */
function literal(v: unknown): string {
  if (v instanceof Deferred) return v.expr;
  if (v instanceof Date) return quote(v.toISOString());
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  return quote(restoreStandins(String(v)));
}

function quote(s: string): string {
  // Handlebars string literals only know the \" escape
  return `"${s.replace(/\\+$/, '').replaceAll('"', '\\"')}"`;
}

function emit(expr: string): Handlebars.SafeString {
  return new Handlebars.SafeString(`{{${expr}}}`);
}

function fail(message: string, options: Handlebars.HelperOptions): never {
  const loc = (options as unknown as { loc?: unknown }).loc;
  throw new Handlebars.Exception(message, { loc } as unknown as hbs.AST.Node);
}

function dataOf(options: Handlebars.HelperOptions): SharedPassData {
  return options.data as SharedPassData;
}

/** Handlebars environment for the first pass, with deferral-aware helpers. */
export function createSharedPassEnv(): typeof Handlebars {
  const hb = Handlebars.create();
  const builtinIf = hb.helpers.if as Handlebars.HelperDelegate;
  const builtinUnless = hb.helpers.unless as Handlebars.HelperDelegate;
  const builtinEach = hb.helpers.each as Handlebars.HelperDelegate;
  const builtinWith = hb.helpers.with as Handlebars.HelperDelegate;

  for (const [name, builtin] of [['if', builtinIf], ['unless', builtinUnless]] as const) {
    hb.registerHelper(name, function (this: unknown, cond: unknown, options: Handlebars.HelperOptions) {
      if (cond instanceof Deferred) {
        return new Handlebars.SafeString(`{{#${name} ${cond.expr}}}${options.fn(this)}{{else}}${options.inverse(this)}{{/${name}}}`);
      }
      return builtin.call(this, cond, options);
    });
  }
  // loops and scopes over data that is missing would silently print nothing: strict instead
  for (const [name, builtin] of [['each', builtinEach], ['with', builtinWith]] as const) {
    hb.registerHelper(name, function (this: unknown, value: unknown, options: Handlebars.HelperOptions) {
      if (value instanceof Deferred) fail(`{{#${name} ${value.expr}}} cannot loop over or enter a member field; only campaign data can be iterated`, options);
      if (value === undefined || value === null) fail(`{{#${name}}} was given a value the campaign data does not provide (wrap it in {{#if}} if it is optional)`, options);
      return builtin.call(this, value, options);
    });
  }

  hb.registerHelper('default', function (value: unknown, fallback: unknown, options: Handlebars.HelperOptions) {
    if (arguments.length !== 3) fail('default takes a value and a fallback: {{default member.firstName "there"}}', options);
    if (value instanceof Deferred) return emit(`default ${value.expr} ${literal(fallback)}`);
    if (value === undefined || value === null || value === '') return fallback;
    return value;
  });

  hb.registerHelper('plural', function (count: unknown, one: unknown, other: unknown, options: Handlebars.HelperOptions) {
    if (arguments.length !== 4) fail('plural takes a count and two words: {{plural items.length "item" "items"}}', options);
    if (count instanceof Deferred) return emit(`plural ${count.expr} ${literal(one)} ${literal(other)}`);
    if (typeof count !== 'number') fail(`plural needs a number, got ${JSON.stringify(count)}`, options);
    return pluralText(dataOf(options).locale, count, String(one), String(other));
  });

  hb.registerHelper('date', function (value: unknown, ...rest: unknown[]) {
    const options = rest.pop() as Handlebars.HelperOptions;
    const format = rest.length > 0 ? String(rest[0]) : 'DATE_MED';
    if (!dateFormatIsKnown(format)) fail(`date format "${format}" is not a Luxon preset (DATE_MED, DATETIME_FULL, TIME_SIMPLE, ...)`, options);
    // time zones differ per member, so every date is formatted in the second pass
    if (value instanceof Deferred) return emit(`date ${value.expr} ${literal(format)}`);
    const iso = value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : undefined;
    if (iso === undefined || !DateTime.fromISO(restoreStandins(iso), { setZone: true }).isValid) {
      fail(`date needs a Date or an ISO-8601 string, got ${JSON.stringify(value)}`, options);
    }
    return emit(`date ${literal(iso)} ${literal(format)}`);
  });

  const special = (key: LinkKey) => (options: Handlebars.HelperOptions) => {
    dataOf(options).links.add(key);
    return emit(`{_u.${key}}`);
  };
  hb.registerHelper('unsubscribeUrl', special('unsubscribe'));
  hb.registerHelper('preferencesUrl', special('preferences'));
  hb.registerHelper('rsvpUrl', function (answer: unknown, options: Handlebars.HelperOptions) {
    if (answer !== 'yes' && answer !== 'no') fail(`rsvpUrl takes "yes" or "no", got ${JSON.stringify(answer)}`, options);
    return special(`rsvp_${answer}`)(options);
  });
  hb.registerHelper('surveyUrl', function (score: unknown, options: Handlebars.HelperOptions) {
    if (typeof score !== 'number' || !Number.isInteger(score) || score < 0 || score > 10) fail(`surveyUrl takes a whole score 0-10, got ${JSON.stringify(score)}`, options);
    return special(`survey_${score}`)(options);
  });
  hb.registerHelper('subjectLine', () => emit('_subject'));
  hb.registerHelper('preheaderLine', () => emit('_preheader'));
  return hb;
}
