// Mongoose schemas for everything Flywheel keeps. Models are bound to a
// connection (not the global mongoose) so tests can use one database per file.
// FerretDB compatibility: plain and unique indexes only (no TTL, no partial).
import mongoose, { Schema, type InferSchemaType } from 'mongoose';

export const PROGRAMS = ['education', 'open-source', 'startups', 'contributor'] as const;
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
  },
  { timestamps: true, minimize: false },
);

/** One record per (campaign, step, member, occurrence): the exactly-once unit of sending. */
const sendLogSchema = new Schema(
  {
    key: { type: String, required: true, unique: true },
    campaign: { type: String, required: true },
    step: { type: String, required: true },
    occurrence: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true, index: true },
    email: { type: String, required: true },
    program: { type: String },
    /** marketing sends count against frequency caps; transactional ones (renewal notices) may be exempt */
    category: { type: String, default: 'marketing' },
    template: { type: String, required: true },
    /** pending -> claimed -> sent | failed | skipped | cancelled */
    status: { type: String, required: true, default: 'pending' },
    dueAt: { type: Date, required: true },
    /** when a retry (or a send window) allows the next attempt */
    notBefore: { type: Date },
    leaseUntil: { type: Date },
    claimedBy: { type: String },
    attempts: { type: Number, default: 0 },
    /** stable RFC 5322 Message-ID, reused on every retry so duplicates are detectable downstream */
    messageId: { type: String, required: true, unique: true },
    providerId: { type: String },
    transport: { type: String },
    sentAt: { type: Date },
    failedAt: { type: Date },
    error: { type: String },
    /** per-step data the planner resolved for this send (e.g. digest item ids) */
    payload: { type: Schema.Types.Mixed },
    opens: { type: Number, default: 0 },
    firstOpenedAt: { type: Date },
    clicks: { type: Number, default: 0 },
    firstClickedAt: { type: Date },
  },
  { timestamps: true, minimize: false },
);
sendLogSchema.index({ status: 1, dueAt: 1 });
sendLogSchema.index({ campaign: 1, step: 1, status: 1 });
sendLogSchema.index({ memberId: 1, sentAt: 1 });

/**
 * Rollup counters, incremented at event time ($inc), read by reports.
 * _id is the scope: `campaign:<name>`, `step:<campaign>:<step>`, `program:<program>`, `day:<yyyy-mm-dd>`.
 */
const counterSchema = new Schema(
  {
    _id: { type: String, required: true },
    scope: { type: String, required: true, index: true },
    campaign: { type: String },
    step: { type: String },
    program: { type: String },
    day: { type: String },
    sent: { type: Number, default: 0 },
    failed: { type: Number, default: 0 },
    opens: { type: Number, default: 0 },
    uniqueOpens: { type: Number, default: 0 },
    clicks: { type: Number, default: 0 },
    uniqueClicks: { type: Number, default: 0 },
    unsubscribes: { type: Number, default: 0 },
    bounces: { type: Number, default: 0 },
    complaints: { type: Number, default: 0 },
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

/** Addresses we must not send to, checked at send time. */
const suppressionSchema = new Schema(
  {
    email: { type: String, required: true, unique: true, lowercase: true },
    reason: { type: String, enum: ['unsubscribed', 'hard-bounce', 'complaint', 'manual'], required: true },
    at: { type: Date, required: true },
    detail: { type: String },
  },
  { versionKey: false },
);

/** Content items feeding newsletters and case-study promotion. */
const contentItemSchema = new Schema(
  {
    guid: { type: String, required: true, unique: true },
    source: { type: String, default: 'local' },
    title: { type: String, required: true },
    url: { type: String, required: true },
    summary: { type: String, default: '' },
    imageUrl: { type: String },
    imageAlt: { type: String },
    tags: { type: [String], default: [], index: true },
    programs: { type: [String], default: [] },
    publishedAt: { type: Date, required: true, index: true },
  },
  { timestamps: true },
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

export type MemberDoc = InferSchemaType<typeof memberSchema> & { _id: mongoose.Types.ObjectId };
export type SendLogDoc = InferSchemaType<typeof sendLogSchema> & { _id: mongoose.Types.ObjectId };
export type CounterDoc = InferSchemaType<typeof counterSchema>;
export type ContentItemDoc = InferSchemaType<typeof contentItemSchema> & { _id: mongoose.Types.ObjectId };
export type CampaignStateDoc = InferSchemaType<typeof campaignStateSchema> & { _id: mongoose.Types.ObjectId };

export function bindModels(conn: mongoose.Connection) {
  return {
    Member: conn.model('Member', memberSchema, 'members'),
    SendLog: conn.model('SendLog', sendLogSchema, 'sendlog'),
    Counter: conn.model('Counter', counterSchema, 'counters'),
    Event: conn.model('Event', eventSchema, 'events'),
    Suppression: conn.model('Suppression', suppressionSchema, 'suppressions'),
    ContentItem: conn.model('ContentItem', contentItemSchema, 'content_items'),
    CampaignState: conn.model('CampaignState', campaignStateSchema, 'campaigns'),
    DailyQuota: conn.model('DailyQuota', dailyQuotaSchema, 'daily_quota'),
  };
}

export type Models = ReturnType<typeof bindModels>;
