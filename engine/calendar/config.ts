// The operator's business calendar from the environment (FLYWHEEL_BUSINESS_TIMEZONE,
// FLYWHEEL_HOLIDAYS), validated at the edge: a bad zone or date names the variable.
import type { Config } from '../config.ts';
import { InvalidInputError, type InputIssue } from '../errors.ts';
import { isValidZone, type BusinessCalendar } from './business-days.ts';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export function calendarFromConfig(config: Pick<Config, 'FLYWHEEL_BUSINESS_TIMEZONE' | 'FLYWHEEL_HOLIDAYS'>): BusinessCalendar {
  const issues: InputIssue[] = [];
  const zone = config.FLYWHEEL_BUSINESS_TIMEZONE;
  if (!isValidZone(zone)) issues.push({ path: 'FLYWHEEL_BUSINESS_TIMEZONE', message: `"${zone}" is not an IANA time zone (e.g. Europe/Berlin, UTC)` });
  const holidays = config.FLYWHEEL_HOLIDAYS.split(/[\s,;]+/).filter(Boolean);
  for (const h of holidays) {
    const valid = ISO_DATE.test(h) && new Date(`${h}T00:00:00Z`).toISOString().slice(0, 10) === h;
    if (!valid) issues.push({ path: 'FLYWHEEL_HOLIDAYS', message: `"${h}" is not a date; write holidays as YYYY-MM-DD, comma-separated` });
  }
  if (issues.length) throw new InvalidInputError('CONFIG_INVALID', 'Configuration error in environment variables:', issues);
  return { zone, holidays };
}
