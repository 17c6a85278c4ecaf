// Where applications live. Three collections, each keyed so that every write that could
// be repeated (a double-clicked form, a second `award`, two workers) is a keyed insert:
// - applications:          one document per application (`_id` = its public id, "app-...")
// - application_queue:     the open ones only, `_id` = "<program>:<email>": a second submission
//                          for the same program and email finds the open application by key
// - application_decisions: the final decision, `_id` = application id: inserted once, so a
//                          second award fails on the key even where updates are not atomic
import mongoose, { Schema } from 'mongoose';
import type { Store } from '../store/index.ts';

export const APPLICATION_STATUSES = ['pending', 'needs-info', 'awarded', 'declined'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

const actor = { kind: { type: String, enum: ['rule', 'person', 'applicant'], required: true }, name: { type: String, required: true } };

const applicationSchema = new Schema(
  {
    _id: { type: String, required: true },
    program: { type: String, required: true, index: true },
    email: { type: String, required: true, lowercase: true },
    name: { type: String, required: true },
    timezone: { type: String },
    locale: { type: String },
    fields: { type: Schema.Types.Mixed, default: {} },
    status: { type: String, enum: APPLICATION_STATUSES, required: true, index: true },
    submittedAt: { type: Date, required: true, index: true },
    lastSubmittedAt: { type: Date, required: true },
    submissions: { type: Number, default: 1 },
    /** the promise: end of the program's N-th business day after submission */
    dueAt: { type: Date, required: true },
    decidedAt: { type: Date },
    decidedBy: { type: new Schema(actor, { _id: false }) },
    decisionReason: { type: String },
    history: {
      type: [{ _id: false, type: { type: String, required: true }, at: Date, by: new Schema(actor, { _id: false }), reason: String }],
      default: [],
    },
  },
  { versionKey: false, minimize: false },
);

const queueSchema = new Schema(
  {
    _id: { type: String, required: true },
    applicationId: { type: String, required: true },
    program: { type: String, required: true },
    dueAt: { type: Date, required: true },
  },
  { versionKey: false },
);

const decisionSchema = new Schema(
  {
    _id: { type: String, required: true },
    program: { type: String, required: true, index: true },
    email: { type: String, required: true },
    decision: { type: String, enum: ['award', 'decline'], required: true },
    by: { type: new Schema(actor, { _id: false }), required: true },
    reason: { type: String, required: true },
    at: { type: Date, required: true, index: true },
    submittedAt: { type: Date, required: true },
    dueAt: { type: Date, required: true },
    /** business days from submission to decision, in the program's calendar */
    businessDays: { type: Number, required: true },
  },
  { versionKey: false },
);

export type Actor = { kind: 'rule' | 'person' | 'applicant'; name: string };

export interface HistoryEntry {
  type: string;
  at: Date;
  by?: Actor;
  reason?: string;
}

export interface ApplicationDoc {
  _id: string;
  program: string;
  email: string;
  name: string;
  timezone?: string;
  locale?: string;
  fields: Record<string, string>;
  status: ApplicationStatus;
  submittedAt: Date;
  lastSubmittedAt: Date;
  submissions: number;
  dueAt: Date;
  decidedAt?: Date;
  decidedBy?: Actor;
  decisionReason?: string;
  history: HistoryEntry[];
}

export interface QueueDoc {
  _id: string;
  applicationId: string;
  program: string;
  dueAt: Date;
}

export interface DecisionDoc {
  _id: string;
  program: string;
  email: string;
  decision: 'award' | 'decline';
  by: Actor;
  reason: string;
  at: Date;
  submittedAt: Date;
  dueAt: Date;
  businessDays: number;
}

function make(conn: mongoose.Connection) {
  return {
    Application: conn.model<ApplicationDoc>('Application', applicationSchema as Schema, 'applications'),
    ApplicationQueue: conn.model<QueueDoc>('ApplicationQueue', queueSchema as Schema, 'application_queue'),
    ApplicationDecision: conn.model<DecisionDoc>('ApplicationDecision', decisionSchema as Schema, 'application_decisions'),
  };
}

function bind(conn: mongoose.Connection): ApplicationModels {
  if (!conn.models.Application) return make(conn);
  const { Application, ApplicationQueue, ApplicationDecision } = conn.models;
  return { Application, ApplicationQueue, ApplicationDecision } as unknown as ApplicationModels;
}

export type ApplicationModels = ReturnType<typeof make>;
const bound = new WeakMap<mongoose.Connection, Promise<ApplicationModels>>();

/** The application models on this store's connection, indexes built once before first use. */
export function applicationModels(store: Store): Promise<ApplicationModels> {
  let models = bound.get(store.conn);
  if (!models) {
    const m = bind(store.conn);
    models = Promise.all(Object.values(m).map((x) => x.createIndexes())).then(() => m);
    bound.set(store.conn, models);
  }
  return models;
}

/** Insert under a unique key; false when the key already exists (the repeat of a keyed write). */
export async function insertOnce(model: mongoose.Model<never>, doc: object): Promise<boolean> {
  try {
    await model.collection.insertOne(doc as never);
    return true;
  } catch (e) {
    if ((e as { code?: number }).code === 11000) return false;
    throw e;
  }
}
