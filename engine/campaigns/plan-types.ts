// The planner's inputs and outputs, kept in campaigns/ because the kinds (which the planner
// calls) produce and read them too: a type both stages share lives in the lower one.
// A PlannedSend is one (campaign, step, member,
// occurrence): the scheduler turns it into a send-log record keyed
// `${campaign}:${step}:${memberId}:${occurrence}`, so planning is idempotent by key.
import type { Topic } from '../store/models.ts';

export interface PlannedSend {
  campaign: string;
  step: string;
  /** '' for one-off steps; '2026-12' for a monthly issue; the expiry date for a renewal cycle; the item guid for a promotion */
  occurrence: string;
  memberId: string;
  email: string;
  program: string;
  /** when it may go out (UTC instant); send windows are applied later by the sender */
  dueAt: Date;
  template: string;
  subject: string;
  preheader?: string;
  category: 'marketing' | 'transactional';
  /** topic the member must still be subscribed to at send time */
  topic?: Topic;
  /** template data; store it as the send-log `payload` (newsletters read `payload.itemIds` back) */
  data: Record<string, unknown>;
  attachments?: { filename: string; contentType: string; content: string }[];
}

export interface HistorySend {
  step: string;
  occurrence: string;
  status: string;
  sentAt?: Date;
  firstOpenedAt?: Date;
  firstClickedAt?: Date;
  payload?: unknown;
}

export interface MemberHistory {
  /** every send-log record of this campaign for this member, any status */
  sends: HistorySend[];
  rsvp?: 'yes' | 'no';
}

/** The member fields the planner reads; a MemberDoc (lean or hydrated) fits. */
export interface PlannerMember {
  _id: unknown;
  email: string;
  name?: string | null;
  program: string;
  status?: string | null;
  locale?: string | null;
  timezone?: string | null;
  country?: string | null;
  appliedAt?: Date | null;
  awardedAt?: Date | null;
  expiresAt?: Date | null;
  createdAt?: Date | null;
  tags?: string[] | null;
  attributes?: Record<string, unknown> | null;
  topics?: { newsletter?: boolean | null; events?: boolean | null; caseStudies?: boolean | null } | null;
  unsubscribedAt?: Date | null;
  erasedAt?: Date | null;
  lastEmailedAt?: Date | null;
  lastOpenedAt?: Date | null;
  lastClickedAt?: Date | null;
  /** steps of the member's applications, which applicant messages are planned from */
  applicationEvents?: ReadonlyArray<PlannerApplicationEvent> | null;
}

export interface PlannerApplicationEvent {
  /** unique per event: the occurrence of the message it triggers */
  id?: string | null;
  application?: string | null;
  program?: string | null;
  type?: string | null;
  at?: Date | null;
  reason?: string | null;
  /** the last business day of the decision promise, written out in the program's zone */
  dueDate?: string | null;
}

/** The content-item fields the planner reads; a ContentItemDoc fits. */
export interface PlannerContentItem {
  guid: string;
  title: string;
  url: string;
  summary?: string | null;
  imageUrl?: string | null;
  imageAlt?: string | null;
  tags?: string[] | null;
  programs?: string[] | null;
  publishedAt: Date;
  /** when Flywheel first saw it; a case study "appears" at the later of this and publishedAt */
  createdAt?: Date | null;
}

/** A send a campaign would make, before history and `now` decide whether it is due. */
export interface Candidate {
  step: string;
  occurrence: string;
  dueAt: Date;
  /** after this instant the send is stale or superseded and is dropped */
  until: Date;
  spec: { template: string; subject: string; preheader?: string; data?: Record<string, unknown> };
  data: Record<string, unknown>;
  topic?: Topic;
  category: 'marketing' | 'transactional';
  attachments?: PlannedSend['attachments'];
}

export interface PlanContext {
  member: PlannerMember;
  history: MemberHistory;
  content: readonly PlannerContentItem[];
  /** item guids this member already has from any campaign (content deliveries); digests and promotions skip them */
  delivered?: ReadonlySet<string>;
  now: Date;
  /** latest instant the caller cares about (dueSends: now; simulate: end of the run) */
  horizon: Date;
}
