// Programs are the user's data: declared in campaigns/programs.ts with `definePrograms`,
// validated when campaigns load, and read here by the planner (topics a program offers,
// the program data templates see). The names reach the type system through `Register`,
// which campaigns/programs.ts augments, so `where.program('educaton')` is a type error.
import type { Topic } from '../store/models.ts';

/**
 * Filled in by the project's campaigns/programs.ts:
 * `declare module '../engine/campaigns/index.ts' { interface Register { programs: typeof programs } }`.
 * Without it, any program name type-checks (and the loader still rejects unknown ones).
 */
export interface Register {}

/** A declared program name. */
export type Program = Register extends { programs: infer P } ? Extract<keyof P, string> : string;

/** A length of time for renewal periods: calendar years, months and days. */
export interface RenewalPeriod {
  years?: number;
  months?: number;
  days?: number;
}

/**
 * Per-program settings for applications (intake fields, decision rules). Reserved for the
 * applications stage, which declares its fields here; the loader accepts any object today.
 */
export interface ProgramApplications {}

export interface ProgramDefinition {
  /** what members read, e.g. "Flywheel for Education"; templates get it as `program.name` */
  displayName: string;
  /** the program's home page; templates get it as `program.url` */
  url: string;
  /** IANA zone for members imported without one, e.g. "Europe/Berlin" */
  timezone: string;
  /** how long a membership runs before it renews (omit for programs that never expire) */
  renewalPeriod?: RenewalPeriod;
  /** the topics this program sends; campaigns of other topics skip its members */
  topics: readonly Topic[];
  applications?: ProgramApplications;
}

/** Declared programs by name. */
export type ProgramTable = Readonly<Record<string, ProgramDefinition>>;

/** What templates see as `program`: `{{program.name}}`, `{{program.url}}`, `{{program.id}}`. */
export interface ProgramView {
  id: string;
  name: string;
  url: string;
}

export function programView(programs: ProgramTable | undefined, name: string): ProgramView | undefined {
  if (!programs) return undefined;
  const def = Object.hasOwn(programs, name) ? programs[name] : undefined;
  return def ? { id: name, name: def.displayName, url: def.url } : undefined;
}

/**
 * Does the member's program send this topic? A program that is not declared offers nothing;
 * without a table (a campaign built in code, not loaded from a project) nothing is restricted.
 */
export function programOffers(programs: ProgramTable | undefined, name: string, topic: Topic): boolean {
  if (!programs) return true;
  const def = Object.hasOwn(programs, name) ? programs[name] : undefined;
  return def ? def.topics.includes(topic) : false;
}

/** Names of the programs that send this topic. */
export function programsOffering(programs: ProgramTable, topic: Topic): string[] {
  return Object.keys(programs).filter((p) => programOffers(programs, p, topic));
}
