// Mongoose schemas for everything Flywheel keeps. Models are bound to a
// connection (not the global mongoose) so tests can use one database per file.
// FerretDB compatibility: plain and unique indexes only (no TTL, no partial).
import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { markMemberWrites } from './plan-marks.ts';

export const MEMBER_STATUSES = ['applied', 'active', 'expired', 'churned'] as const;
export const TOPICS = ['newsletter', 'events', 'caseStudies'] as const;
export type Topic = (typeof TOPICS)[number];

const memberSchema = new Schema(
  {
    /** always lower-cased; the natural key for imports */
    email: { type: String, required: true, unique: true, lowercase: true, trim: true },
    name: { type: String, default: '' },
    program: { type: String, required: true, index: true },
    status: { type: String, enum: MEMBER_STATUSES, default: 'active', index: true },
    locale: { type: String, default: 'en' },
    timezone: { type: String, default: 'UTC' },
    country: { type: String },
    appliedAt: { type: Date },
    awardedAt: { type: Date },
    expiresAt: { type: Date, index: true },
    renewals: { type: [{ renewedAt: Date, expiresAt: Date, _id: false }], default: [] },
    tags: { type: [String], default: [], index: true },
    attributes: { type: Schema.Types.Mixed, default: {} },
    topics: {
      newsletter: { type: Boolean, default: true },
      events: { type: Boolean, default: true },
      caseStudies: { type: Boolean, default: true },
    },
    /** global unsubscribe: no marketing or program email at all once set */
    unsubscribedAt: { type: Date },
    /** set by erasure: personal data is gone, the document stays so counters stay consistent */
    erasedAt: { type: Date },
    /** engagement rollups per member, kept at event time so segments need no event scan */
    lastEmailedAt: { type: Date },
    lastOpenedAt: { type: Date },
    lastClickedAt: { type: Date },
    /** application steps (received, needs-info, awarded, declined) that applicant messages are planned from */
    applicationEvents: {
      type: [{ _id: false, id: String, application: String, program: String, type: { type: String }, at: Date, reason: String, dueDate: String }],
      default: undefined,
    },
  },
  { timestamps: true, minimize: false },
);

/** What a rollup counts (reports/metrics.ts derives rates from these sums). */
export const ROLLUP_METRICS = [
  /** accepted by the transport (SMTP relay or provider API) */
  'sent',
  /** could not be delivered for good (render error, permanent refusal, retries exhausted) */
  'failed',
  /** hard bounces: at send time (5xx, also counted failed) or reported later (VERP, provider webhook) */
  'bounces',
  /** the bounces reported after a message was accepted (sent, then bounced: not delivered) */
  'bouncedAfterSend',
  /** spam complaints (feedback loops, provider webhook) */
  'complaints',
  /** every open a person made (the pixel, not a privacy proxy or scanner) */
  'humanOpens',
  /** opens by machines: image proxies prefetching, security scanners */
  'machineOpens',
  /** sends opened at least once by a person (a click proves an open) */
  'uniqueOpens',
  'clicks',
  /** sends clicked at least once */
  'uniqueClicks',
  'unsubscribes',
  'rsvpYes',
  'rsvpNo',
  /** satisfaction answers and the sum of their scores (average = csatSum / csatCount) */
  'csatCount',
  'csatSum',
  /** clicks by scanners (bursts across a message's links, scanner agents, HEAD); `clicks` includes them */
  'machineClicks',
  /** temporary delivery failures reported after sending (DSN 4.x.x, provider deferrals/blocks) */
  'softBounces',
] as const;

export type RollupMetric = (typeof ROLLUP_METRICS)[number];

/**
 * Engagement rollups, counted at event time and read by reports: one document per
 * (UTC day, campaign, step, program) and writing process. FerretDB does not make `$inc`
 * atomic under concurrency, so each process owns its shards and writes them with `$set` of
 * absolute values (a repeated or partly applied flush writes the same numbers again, so it
 * never double counts); reports sum the shards. `_id` = `<day>|<campaign>|<step>|<program>|<shard>`.
 */
const rollupSchema = new Schema(
  {
    _id: { type: String, required: true },
    day: { type: String, required: true },
    campaign: { type: String, required: true },
    step: { type: String, required: true },
    program: { type: String, default: '' },
    shard: { type: String, required: true },
    ...Object.fromEntries(ROLLUP_METRICS.map((m) => [m, { type: Number, default: 0 }])),
  },
  { minimize: false, versionKey: false },
);

/** Raw engagement events, idempotent by key (e.g. provider event id). Never scanned by reports. */
const eventSchema = new Schema(
  {
    key: { type: String, required: true, unique: true },
    type: { type: String, required: true },
    sendLogId: { type: Schema.Types.ObjectId, index: true },
    campaign: { type: String },
    at: { type: Date, required: true },
    data: { type: Schema.Types.Mixed },
  },
  { versionKey: false },
);

/** Registered campaigns: what the files said last, and operator state. */
const campaignStateSchema = new Schema(
  {
    name: { type: String, required: true, unique: true },
    kind: { type: String, required: true },
    file: { type: String },
    state: { type: String, enum: ['active', 'paused', 'removed'], default: 'active' },
    /** hash of the definition, so an edit is noticed */
    version: { type: String },
    steps: { type: [String], default: [] },
    registeredAt: { type: Date },
    lastTickAt: { type: Date },
    nextRunAt: { type: Date },
  },
  { timestamps: true },
);

/** Per-day send reservations for the daily cap, shared by every worker. */
const dailyQuotaSchema = new Schema({ _id: String, used: { type: Number, default: 0 } }, { versionKey: false });

// every write to a member re-plans that member at the next tick (the due index)
markMemberWrites(memberSchema);

export type MemberDoc = InferSchemaType<typeof memberSchema> & { _id: mongoose.Types.ObjectId };
export type CampaignStateDoc = InferSchemaType<typeof campaignStateSchema> & { _id: mongoose.Types.ObjectId };

export function bindModels(conn: mongoose.Connection) {
  return {
    Member: conn.model('Member', memberSchema, 'members'),
    Rollup: conn.model('Rollup', rollupSchema, 'rollups'),
    Event: conn.model('Event', eventSchema, 'events'),
    CampaignState: conn.model('CampaignState', campaignStateSchema, 'campaigns'),
    DailyQuota: conn.model('DailyQuota', dailyQuotaSchema, 'daily_quota'),
  };
}

export type Models = ReturnType<typeof bindModels>;
