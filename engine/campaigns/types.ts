// The campaign language program managers write in campaigns/*.ts. Definitions are plain
// data (no callbacks), so the loader can validate, hash and print them, and the planner
// can run them on a virtual clock. Step ids are the identity of a step: renaming one
// makes it a new step (already-sent members would get it again); removing one cancels
// its pending sends.
import type { Program, Segment, Topic } from '../audience/segment.ts';
import type { ProgramTable } from '../audience/programs.ts';
import type { BuiltInDefinition } from './kinds/index.ts';

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A length of time. Days are calendar days in the member's time zone (DST-safe). */
export interface Duration {
  days?: number;
  hours?: number;
  minutes?: number;
}

/** Local wall-clock time "HH:mm". */
export type LocalTime = `${number}:${number}`;

/** What every step sends: an MJML template from templates/ and Handlebars subject/preheader. */
export interface MessageSpec {
  /** template name: templates/<name>.mjml */
  template: string;
  subject: string;
  preheader?: string;
  /** static data merged into the template data (e.g. `program: { name, url }`, onboarding `step` content) */
  data?: Record<string, JsonValue>;
}

interface CampaignBase {
  /** unique across campaigns; used in send-log keys, so never rename a live campaign */
  name: string;
  description?: string;
  /** who may receive it; default everyone (unsubscribed and erased members are always excluded) */
  audience?: Segment;
  /**
   * How late a due step may still go out (e.g. after downtime, or when a campaign is first
   * deployed and members' anchors lie in the past). Default 7 days.
   */
  staleAfter?: Duration;
  /**
   * When members may receive it, in their own time zone, e.g.
   * `{ days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }` (ISO weekdays, 1 = Monday).
   * A send due outside the window waits for the next opening. Default: any time.
   */
  sendWindow?: { days: Array<1 | 2 | 3 | 4 | 5 | 6 | 7>; start: LocalTime; end: LocalTime };
}

// ---------------------------------------------------------------------------------- drip

/** Send to those who did (not) open/click an earlier step within a time after it was sent. */
export interface EngagementBranch<Id extends string> {
  step: Id;
  did: 'opened' | 'clicked' | 'notOpened' | 'notClicked';
  within: Duration;
}

export interface DripStep<Id extends string> extends MessageSpec {
  id: Id;
  /** delay after the member's entry (ignored for branch steps, which run `branch.within` after their step) */
  after?: Duration;
  /** local send time in the member's time zone, e.g. "09:00"; default: the exact anchor time */
  at?: LocalTime;
  branch?: EngagementBranch<NoInfer<Id>>;
}

export interface DripCampaign<Id extends string = string> extends CampaignBase {
  kind: 'drip';
  /** members enter when this date field is set (e.g. awardedAt), optionally only while `when` holds */
  entry: { on: 'appliedAt' | 'awardedAt' | 'createdAt'; when?: Segment<'member'> };
  /** once a member matches `exit`, no further steps are sent */
  exit?: Segment<'member'>;
  topic?: Topic;
  steps: readonly DripStep<Id>[];
}

// ---------------------------------------------------------------------------- newsletter

export interface NewsletterCampaign extends CampaignBase, MessageSpec {
  kind: 'newsletter';
  /** standard 5-field cron, evaluated in `timezone` ('member' = each member's own zone) */
  schedule: { cron: string; timezone: string | 'member' };
  digest: {
    /** at most this many items per issue (newest first) */
    maxItems: number;
    /** only items carrying one of these tags */
    tags?: string[];
    /** ignore items published longer ago than this before the issue; default 90 days */
    lookback?: Duration;
    /** skip the issue for a member when nothing new is left for them (default true) */
    skipIfEmpty?: boolean;
  };
}

// ------------------------------------------------------------------------------- renewal

export interface RenewalStep extends MessageSpec {
  id: string;
  /** exactly one of: before expiry, after expiry (grace) */
  before?: Duration;
  after?: Duration;
  at?: LocalTime;
}

export interface RenewalCampaign extends CampaignBase {
  kind: 'renewal';
  steps: readonly RenewalStep[];
  /** a renewal within this many days after a reminder counts as that step's conversion; default 14 */
  attributionDays?: number;
}

// ---------------------------------------------------------------------------- case study

export interface CaseStudyCampaign extends CampaignBase, MessageSpec {
  kind: 'case-study';
  /** content items carrying any of these tags are case studies */
  tags: string[];
  /** only promote items published at most this long ago; default 30 days */
  maxAge?: Duration;
}

// --------------------------------------------------------------------------------- event

export interface EventDetails {
  title: string;
  /** local date-time in `timezone`, ISO without offset: "2026-11-14T09:00" */
  start: string;
  end: string;
  timezone: string;
  location?: string;
  url?: string;
  description?: string;
  organizer?: { name: string; email: string };
}

export interface EventCampaign extends CampaignBase {
  kind: 'event';
  event: EventDetails;
  /** first invitation, `before` the event start */
  invite: MessageSpec & { before: Duration };
  /** reminder to those who have not answered yet */
  reminder?: MessageSpec & { before: Duration };
  /** the day-before note to those who said yes */
  dayBefore?: MessageSpec & { before?: Duration };
}

// ----------------------------------------------------------------------------- broadcast

export interface BroadcastCampaign extends CampaignBase, MessageSpec {
  kind: 'broadcast';
  /** ISO instant with offset, or a local date-time interpreted in each member's time zone */
  at: string;
  topic?: Topic;
}

// --------------------------------------------------------------------------- application

/** The steps of an application that applicants are written to about, in order. */
export const APPLICATION_STEPS = ['received', 'needs-info', 'awarded', 'declined'] as const;
export type ApplicationStep = (typeof APPLICATION_STEPS)[number];

/**
 * Transactional messages to a program's applicants, one per application event: received,
 * needs more information (every time it is asked), awarded, declined. Template data gets
 * `application: { id, program, reason, dueDate }` beside the step's own `data`.
 */
export interface ApplicationCampaign extends CampaignBase {
  kind: 'application';
  /** the program whose applicants get these messages */
  program: Program;
  messages: Partial<Record<ApplicationStep, MessageSpec>>;
}

/** Every built-in kind's definition: the union is read off the kinds registry (kinds/index.ts). */
export type CampaignDefinition = BuiltInDefinition;

export type CampaignKind = CampaignDefinition['kind'];

export interface LoadedCampaign {
  name: string;
  kind: CampaignKind;
  /** path relative to the project root */
  file: string;
  /** short hash of the definition: changes whenever the file's meaning changes */
  version: string;
  /** step ids, in definition order */
  steps: string[];
  definition: CampaignDefinition;
  /**
   * The project's programs the campaign was checked against (campaigns/programs.ts); the
   * planner reads the member's program here. Absent for a campaign built in code without them.
   */
  programs?: ProgramTable;
}

export type { Program, Topic };
