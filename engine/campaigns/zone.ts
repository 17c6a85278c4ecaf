// Time zones for luxon, with each zone's UTC offset remembered per quarter hour. Planning asks
// luxon for the same few zones' offsets hundreds of thousands of times, and luxon's IANA zone
// answers each question with Intl's formatToParts: at 5,000 members that was over a quarter of
// a full plan's CPU. Offsets change only at a zone's transitions, which (in tzdata since the
// 1970s) fall on quarter hours of UTC; a quarter hour's offset is kept only when its first and
// last millisecond agree, so a transition inside one is still answered exactly.
import { DateTime, IANAZone, Zone, type ZoneOffsetFormat, type ZoneOffsetOptions } from 'luxon';

const QUARTER_HOUR_MS = 900_000;
/** quarter hours kept per zone before its memory is dropped (about two and a half years) */
const LIMIT = 90_000;

class RememberingZone extends Zone {
  private readonly offsets = new Map<number, number>();

  constructor(private readonly iana: IANAZone) {
    super();
  }

  override get type(): string { return 'iana'; }
  override get name(): string { return this.iana.name; }
  get ianaName(): string { return this.iana.name; }
  override get isUniversal(): boolean { return false; }
  override get isValid(): boolean { return this.iana.isValid; }
  override offsetName(ts: number, options: ZoneOffsetOptions) { return this.iana.offsetName(ts, options); }
  override formatOffset(ts: number, format: ZoneOffsetFormat) { return this.iana.formatOffset(ts, format); }
  override equals(other: Zone): boolean { return other.type === 'iana' && other.name === this.name; }

  override offset(ts: number): number {
    const quarter = Math.floor(ts / QUARTER_HOUR_MS);
    const known = this.offsets.get(quarter);
    if (known !== undefined) return known;
    const start = this.iana.offset(quarter * QUARTER_HOUR_MS);
    if (start !== this.iana.offset((quarter + 1) * QUARTER_HOUR_MS - 1)) return this.iana.offset(ts);
    if (this.offsets.size >= LIMIT) this.offsets.clear();
    this.offsets.set(quarter, start);
    return start;
  }
}

/** The local calendar day of an instant in a zone, as days since 1970-01-01 (differences are calendar days). */
export function localDayNumber(instant: Date, zone: string): number {
  const z = luxonZone(zone);
  const offsetMinutes = typeof z === 'string' ? DateTime.fromJSDate(instant, { zone: z }).offset : z.offset(instant.getTime());
  return Math.floor((instant.getTime() + offsetMinutes * 60_000) / 86_400_000);
}

/** names seen; members' own zone names are data, so both memories are bounded */
const NAMES_LIMIT = 1_000;
const zones = new Map<string, Zone | string>();

/**
 * The zone to hand luxon for a name: for an IANA name ("Europe/Berlin") the remembering zone;
 * anything else ("utc", "UTC+3", an unknown name) as the name itself, which luxon reads as before.
 */
export function luxonZone(name: string): Zone | string {
  let zone = zones.get(name);
  if (zone === undefined) {
    zone = IANAZone.isValidZone(name) ? new RememberingZone(IANAZone.create(name)) : name;
    if (zones.size >= NAMES_LIMIT) zones.clear();
    zones.set(name, zone);
  }
  return zone;
}

const validity = new Map<string, boolean>();

/** Whether luxon accepts a zone name (remembered: planning asks once per member and campaign). */
export function isKnownZone(name: string): boolean {
  let valid = validity.get(name);
  if (valid === undefined) {
    valid = DateTime.local().setZone(name).isValid;
    if (validity.size >= NAMES_LIMIT) validity.clear();
    validity.set(name, valid);
  }
  return valid;
}
