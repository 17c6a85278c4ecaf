// The send ledger's collections: send-log records, payloads, batches, leases, results and
// suppressions. Only engine/ledger/ reads or writes them (test/ledger/ownership.test.ts checks);
// other stages call the named queries in this folder. Models are bound per connection, and
// their unique indexes are built before the first query (keyed inserts depend on them).
import mongoose, { Schema, type InferSchemaType, type Types } from 'mongoose';
import type { Store } from '../store/index.ts';

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
    /** records written before it moved to the batch only (the batch's payload names the template) */
    template: { type: String },
    /** 'pending' when planned; 'cancelled' if its step or campaign is removed before it goes out */
    status: { type: String, required: true, default: 'pending' },
    error: { type: String },
    /** when it may go out, after send windows and frequency caps */
    dueAt: { type: Date, required: true },
    /** no index: nothing looks a record up by its batch (the batch lists its records) */
    batchId: { type: Schema.Types.ObjectId },
    /** records written before it moved to the batch only */
    payloadId: { type: String },
    /**
     * stable RFC 5322 Message-ID, reused on every retry so duplicates are detectable downstream.
     * Unique by construction (it starts with the record's _id), and nothing queries it, so it has
     * no index: each index is paid on every planned send (20,000 inserts: 2.6 s of the embedded
     * database's CPU with this index and the batchId one, 2.3 s without).
     */
    messageId: { type: String, required: true },
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

/** One recipient as a batch snapshots it (see BatchRecipient). */
const recipientSchema = new Schema(
  {
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
  },
  { _id: false },
);

/**
 * A chunk of recipients of one payload, due at one time: the unit a worker sends.
 * A small control document: what polling, sweeps and "finished" updates read and write. The
 * recipients' snapshot (what rendering needs) lives in batch_recipients under the same `_id`:
 * on the embedded database every scan decodes whole documents, and a control document with
 * 500 snapshots inside cost half a second of database CPU per scan of ten batches.
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
    /** a retry batch: the batch and run that handed these recipients on (its id derives from both) */
    retryOf: { type: Schema.Types.ObjectId },
    retryRun: { type: Number },
    /** batches written before recipients moved to batch_recipients hold them here */
    recipients: { type: [recipientSchema], default: undefined },
    finishedAt: { type: Date },
  },
  { timestamps: true, minimize: false },
);
sendBatchSchema.index({ finishedAt: 1, dueAt: 1 });

/**
 * The recipients of one batch, under the batch's `_id`: read once per run, by `_id`. `packed`
 * holds them as one BSON binary value (batches.ts `packRecipients`: one value to decode instead
 * of twelve per recipient); documents written before hold the `recipients` array.
 */
const batchRecipientsSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    packed: { type: Buffer },
    recipients: { type: [recipientSchema], default: undefined },
  },
  { minimize: false },
);

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

/**
 * Outcomes of sends, one document per flush of a batch run (a "result page"): `_id` =
 * `<batchId>:<run>:<seq>`, `results` holds up to a flush's worth of outcomes (about 100), each
 * one attempt at one record. One keyed insert records a page, so recording costs a document per
 * hundred messages, not one per message. Pages of a run are written in `seq` order, one at a
 * time, so a later run reads what an earlier one recorded by `_id` alone (see results.ts).
 * Documents written before pages existed hold one outcome each (`_id` = `<sendLogId>:<attempt>`,
 * the outcome's fields at the top level); every reader accepts both (results.ts `outcomesOf`).
 */
const sendResultSchema = new Schema(
  {
    _id: { type: String, required: true },
    batchId: { type: Schema.Types.ObjectId, required: true },
    campaign: { type: String, required: true },
    step: { type: String, required: true },
    attempt: { type: Number },
    run: { type: Number },
    seq: { type: Number },
    /** the page's SendOutcome[] packed in one binary value (packed.ts), and how many it holds */
    packed: { type: Buffer },
    count: { type: Number },
    /** SendOutcome[] of a page written before packing; absent on a one-outcome document of the earliest shape */
    results: { type: Schema.Types.Mixed },
    // the earlier one-outcome shape:
    sendLogId: { type: Schema.Types.ObjectId },
    status: { type: String },
    at: { type: Date },
    providerId: { type: String },
    transport: { type: String },
    reason: { type: String },
    retryBatchId: { type: Schema.Types.ObjectId },
    bounce: { type: Boolean },
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
    reason: { type: String, enum: ['unsubscribed', 'hard-bounce', 'complaint', 'manual', 'topic-opt-out', 'erased'], required: true },
    at: { type: Date, required: true },
    detail: { type: String },
  },
  { versionKey: false },
);

export type SendLogDoc = InferSchemaType<typeof sendLogSchema> & { _id: mongoose.Types.ObjectId };

/** One recipient as a batch snapshots it: everything rendering needs, so a run reads one document. */
export interface BatchRecipient {
  sendLogId: Types.ObjectId;
  occurrence: string;
  messageId: string;
  memberId: Types.ObjectId;
  email: string;
  name: string;
  program: string;
  locale: string;
  timezone: string;
  country?: string;
  expiresAt?: Date;
  attributes: Record<string, unknown>;
}

export type ResultStatus = 'sent' | 'failed' | 'skipped' | 'retrying';

/** The outcome of one attempt at one record (an entry of a result page). */
export interface SendOutcome {
  sendLogId: Types.ObjectId;
  /** sent | failed | skipped | retrying */
  status: ResultStatus;
  at: Date;
  providerId?: string; transport?: string; reason?: string; retryBatchId?: Types.ObjectId;
  /** a permanent refusal that suppressed the address: counted as a bounce */
  bounce?: boolean;
}

/** A result page as written: the outcomes one flush of one batch run recorded. */
export interface ResultPageDoc {
  _id: string; batchId: Types.ObjectId; campaign: string; step: string; attempt: number; run: number; seq: number;
  results: SendOutcome[];
}

/** One outcome as readers see it, whatever document shape held it; `_id` = `<sendLogId>:<attempt>`. */
export interface SendResultDoc extends SendOutcome {
  _id: string; batchId: Types.ObjectId; campaign: string; step: string;
}

function bindLedgerModels(conn: mongoose.Connection) {
  return {
    SendLog: conn.model('SendLog', sendLogSchema, 'sendlog'),
    Payload: conn.model('Payload', payloadSchema, 'payloads'),
    SendBatch: conn.model('SendBatch', sendBatchSchema, 'send_batches'),
    BatchRecipients: conn.model('BatchRecipients', batchRecipientsSchema, 'batch_recipients'),
    BatchLease: conn.model('BatchLease', batchLeaseSchema, 'batch_leases'),
    SendResult: conn.model('SendResult', sendResultSchema, 'send_results'),
    Suppression: conn.model('Suppression', suppressionSchema, 'suppressions'),
  };
}

export type LedgerModels = ReturnType<typeof bindLedgerModels>;

const bound = new WeakMap<mongoose.Connection, Promise<LedgerModels>>();

/**
 * The ledger's models on this store's connection, with their unique indexes built (once per
 * connection). For the ledger's own files, and for tests that inspect what was written.
 */
export function ledgerModels(store: Pick<Store, 'conn'>): Promise<LedgerModels> {
  let models = bound.get(store.conn);
  if (!models) {
    const m = bindLedgerModels(store.conn);
    models = Promise.all(Object.values(m).map((model) => model.createIndexes())).then(() => m);
    models.catch(() => bound.delete(store.conn));
    bound.set(store.conn, models);
  }
  return models;
}
