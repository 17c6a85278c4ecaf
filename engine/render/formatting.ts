// Locale- and time-zone-aware wording used by both Handlebars passes: dates in
// the member's zone, counted nouns. Results are memoised because a send has
// many recipients but few distinct (zone, locale, date) combinations.
import { DateTime, type DateTimeFormatOptions } from 'luxon';
import { FlywheelError } from '../errors.ts';

const PRESETS: Record<string, DateTimeFormatOptions> = {
  DATE_SHORT: DateTime.DATE_SHORT,
  DATE_MED: DateTime.DATE_MED,
  DATE_MED_WITH_WEEKDAY: DateTime.DATE_MED_WITH_WEEKDAY,
  DATE_FULL: DateTime.DATE_FULL,
  DATE_HUGE: DateTime.DATE_HUGE,
  TIME_SIMPLE: DateTime.TIME_SIMPLE,
  TIME_WITH_SHORT_OFFSET: DateTime.TIME_WITH_SHORT_OFFSET,
  DATETIME_SHORT: DateTime.DATETIME_SHORT,
  DATETIME_MED: DateTime.DATETIME_MED,
  DATETIME_MED_WITH_WEEKDAY: DateTime.DATETIME_MED_WITH_WEEKDAY,
  DATETIME_FULL: DateTime.DATETIME_FULL,
  DATETIME_HUGE: DateTime.DATETIME_HUGE,
};

export function dateFormatIsKnown(format: string): boolean {
  return format in PRESETS;
}

const dateMemo = new Map<string, string>();

/** `value` is a Date or ISO string; `format` a Luxon preset name. Throws on an unusable date or zone. */
export function formatDate(value: unknown, format: string, zone: string, locale: string): string {
  const iso = value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : undefined;
  if (iso === undefined) throw new FlywheelError('RENDER_VALUE_MISSING', `date: expected a date, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
  const key = `${iso}|${format}|${zone}|${locale}`;
  const hit = dateMemo.get(key);
  if (hit !== undefined) return hit;
  const preset = PRESETS[format];
  if (!preset) throw new FlywheelError('RENDER_VALUE_MISSING', `date: unknown format ${format}`);
  const dt = DateTime.fromISO(iso, { zone, locale });
  if (!dt.isValid) throw new FlywheelError('RENDER_VALUE_MISSING', `date: cannot format ${iso} in zone "${zone}" (${dt.invalidExplanation ?? dt.invalidReason})`);
  const text = dt.toLocaleString(preset);
  if (dateMemo.size > 10_000) dateMemo.clear();
  dateMemo.set(key, text);
  return text;
}

const pluralRules = new Map<string, Intl.PluralRules>();
const numberFormats = new Map<string, Intl.NumberFormat>();

/** `3 talks`, `1 talk`, with the number in the locale's digits. */
export function pluralText(locale: string, count: number, one: string, other: string): string {
  let rules = pluralRules.get(locale);
  let numbers = numberFormats.get(locale);
  if (!rules || !numbers) {
    rules = new Intl.PluralRules(locale);
    numbers = new Intl.NumberFormat(locale);
    pluralRules.set(locale, rules);
    numberFormats.set(locale, numbers);
  }
  return `${numbers.format(count)} ${rules.select(count) === 'one' ? one : other}`;
}
