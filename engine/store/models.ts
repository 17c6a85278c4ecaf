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

/**
 * One record per (campaign, step, member, occurrence): the exactly-once unit of sending.
 * Inserted once under its unique key when the send is planned and never rewritten on the
 * hot path (updates are slow on the embedded database); outcomes live in SendResult.
 */
const sendLogSchema = new Schema(
  {
    key: { type: String, required: true, unique: true },
    campaign: { type: String, required: true },
    step: { type: String, required: true },
    occurrence: { type: String, default: '' },
    memberId: { type: Schema.Types.ObjectId, required: true, index: true },
    email: { type: String, required: true },
    program: { type: String },
    /** marketing sends count against frequency caps; transactional ones (renewal notices) may be exempt */
    category: { type: String, default: 'marketing' },
    topic: { type: String },
    template: { type: String, required: true },
    /** 'pending' when planned; 'cancelled' if its step or campaign is removed before it goes out */
    status: { type: String, required: true, default: 'pending' },
    error: { type: String },
    /** when it may go out, after send windows and frequency caps */
    dueAt: { type: Date, required: true },
    batchId: { type: Schema.Types.ObjectId, index: true },
    payloadId: { type: String },
    /** stable RFC 5322 Message-ID, reused on every retry so duplicates are detectable downstream */
    messageId: { type: String, required: true, unique: true },
    /** step data the planner resolved (e.g. digest item ids), read back by later plans */
    payload: { type: Schema.Types.Mixed },
    firstOpenedAt: { type: Date },
    firstClickedAt: { type: Date },
  },
  { timestamps: true, minimize: false },
);
sendLogSchema.index({ campaign: 1, step: 1 });

/** Everything shared by the recipients of one step: compiled once, stored once (by content hash). */
const payloadSchema = new Schema(
  {
    _id: { type: String, required: true },
    template: { type: String, required: true },
    subject: { type: String, required: true },
    preheader: { type: String },
    data: { type: Schema.Types.Mixed, default: {} },
    attachments: { type: [{ filename: String, contentType: String, content: String, _id: false }], default: [] },
  },
  { versionKey: false, minimize: false },
);

/**
 * A chunk of recipients of one payload, due at one time: the unit a worker sends.
 * Holds a snapshot of what rendering needs, so a batch run reads one document, not 500.
 */
const sendBatchSchema = new Schema(
  {
    campaign: { type: String, required: true },
    step: { type: String, required: true },
    payloadId: { type: String, required: true },
    category: { type: String, default: 'marketing' },
    topic: { type: String },
    dueAt: { type: Date, required: true },
    /** numbers every hand-off of these recipients (1 = first batch); part of their result keys */
    attempt: { type: Number, default: 1 },
    /** delivery failures before this batch: what the retry limit counts (daily-cap deferrals don't) */
    failures: { type: Number, default: 0 },
    recipients: {
      type: [{
        _id: false,
        sendLogId: Schema.Types.ObjectId,
        occurrence: String,
        messageId: String,
        memberId: Schema.Types.ObjectId,
        email: String,
        name: String,
        program: String,
        locale: String,
        timezone: String,
        country: String,
        expiresAt: Date,
        attributes: Schema.Types.Mixed,
      }],
      default: [],
    },
    finishedAt: { type: Date },
  },
  { timestamps: true, minimize: false },
);
sendBatchSchema.index({ finishedAt: 1, dueAt: 1 });

/** Exclusive runs of a batch: insert `<batchId>:<run>`; unique inserts are atomic everywhere. */
const batchLeaseSchema = new Schema(
  {
    _id: { type: String, required: true },
    batchId: { type: Schema.Types.ObjectId, required: true },
    run: { type: Number, required: true },
    worker: { type: String, required: true },
    leaseUntil: { type: Date, required: true },
  },
  { versionKey: false },
);

/** The outcome of one attempt at one record: `_id` = `<sendLogId>:<attempt>`. */
const sendResultSchema = new Schema(
  {
    _id: { type: String, required: true },
    sendLogId: { type: Schema.Types.ObjectId, required: true },
    batchId: { type: Schema.Types.ObjectId, required: true },
    campaign: { type: String, required: true },
    step: { type: String, required: true },
    /** sent | failed | skipped | retrying */
    status: { type: String, required: true },
    at: { type: Date, required: true },
    providerId: { type: String },
    transport: { type: String },
    reason: { type: String },
    retryBatchId: { type: Schema.Types.ObjectId },
  },
  { versionKey: false },
);

/**
 * Rollup counters, incremented at event time and read by reports.
 * FerretDB does not make `$inc` atomic under concurrency, so every process owns its
 * own shard of each counter (`_id` = `<key>|<writer>`) and flushes it from a single
 * in-process buffer; reports sum the shards. On MongoDB this is merely harmless.
 * key examples: `campaign:<name>`, `step:<campaign>:<step>`, `program:<program>`.
 */
const counterSchema = new Schema(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true, index: true },
    writer: { type: String, required: true },
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
export const COUNTER_METRICS = ['sent', 'failed', 'opens', 'uniqueOpens', 'clicks', 'uniqueClicks', 'unsubscribes', 'bounces', 'complaints'] as const;
export type CounterMetric = (typeof COUNTER_METRICS)[number];

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

/**
 * Addresses we must not send to, checked at send time. `key` is the address for a global
 * suppression, or `<address>#<topic>` for one topic the member opted out of.
 */
const suppressionSchema = new Schema(
  {
    key: { type: String, required: true, unique: true, lowercase: true },
    email: { type: String, required: true, lowercase: true, index: true },
    topic: { type: String },
    reason: { type: String, enum: ['unsubscribed', 'hard-bounce', 'complaint', 'manual', 'topic-opt-out'], required: true },
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
    Payload: conn.model('Payload', payloadSchema, 'payloads'),
    SendBatch: conn.model('SendBatch', sendBatchSchema, 'send_batches'),
    BatchLease: conn.model('BatchLease', batchLeaseSchema, 'batch_leases'),
    SendResult: conn.model('SendResult', sendResultSchema, 'send_results'),
  };
}

export type Models = ReturnType<typeof bindModels>;
