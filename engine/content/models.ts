// The collections the content stage owns: items, feed sources (health, HTTP validators) and
// per-member deliveries. Bound on demand to the shared connection; only queries.ts uses them.
// Keys are `_id`s (the embedded database only pushes `_id` filters down; keyed inserts are atomic).
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

/**
 * One content item. `_id` is its identity: the feed's guid, else its canonical link. `url` is
 * unique too, so the same post reached through two feeds (or a local file) is one item.
 */
const contentItemSchema = new Schema(
  {
    _id: { type: String, required: true },
    guid: { type: String, required: true },
    /** feed name, or `local` for Markdown files under content/ */
    source: { type: String, required: true },
    kind: { type: String },
    title: { type: String, required: true },
    url: { type: String, required: true, unique: true },
    summary: { type: String, default: '' },
    /** sanitised HTML body (Markdown body or content:encoded), for templates that want more than the summary */
    html: { type: String, default: '' },
    imageUrl: { type: String },
    imageAlt: { type: String },
    author: { type: String },
    tags: { type: [String], default: [] },
    programs: { type: [String], default: [] },
    publishedAt: { type: Date, required: true, index: true },
    /** hash of the normalised fields: an upstream edit changes it */
    contentHash: { type: String, required: true },
    /** when an upstream edit was last applied (never re-promotes: the key is unchanged) */
    editedAt: { type: Date },
    /** local items: `content/…/file.md` */
    file: { type: String },
  },
  { timestamps: true, versionKey: false, minimize: false },
);

/** One feed's polling state and health; `_id` is the feed's name. */
const feedSourceSchema = new Schema(
  {
    _id: { type: String, required: true },
    url: { type: String, required: true },
    etag: { type: String },
    lastModified: { type: String },
    lastPolledAt: { type: Date },
    lastSuccessAt: { type: Date },
    lastError: { type: String },
    lastErrorAt: { type: Date },
    consecutiveFailures: { type: Number, default: 0 },
    /** items of the last readable poll that were refused (no title, no link, bad or future date) */
    rejected: { type: [String], default: [] },
    itemsCreated: { type: Number, default: 0 },
    itemsUpdated: { type: Number, default: 0 },
  },
  { versionKey: false, minimize: false },
);

/**
 * "This member has (or will get) this item": `_id` = `<memberId>|<item id>`, inserted when a send
 * carrying the item is planned. The keyed insert is what makes "never twice to one member"
 * hold across issues and across campaigns, even with two planners at once.
 */
const contentDeliverySchema = new Schema(
  {
    _id: { type: String, required: true },
    sendKey: { type: String, required: true },
    at: { type: Date, required: true },
    /** the item's publication date: readers only need deliveries of items still in a window */
    publishedAt: { type: Date, required: true, index: true },
  },
  { versionKey: false },
);

export type ContentItemDoc = InferSchemaType<typeof contentItemSchema>;
export type FeedSourceDoc = InferSchemaType<typeof feedSourceSchema>;
export type ContentDeliveryDoc = InferSchemaType<typeof contentDeliverySchema>;

export interface ContentModels {
  ContentItem: Model<ContentItemDoc>;
  FeedSource: Model<FeedSourceDoc>;
  ContentDelivery: Model<ContentDeliveryDoc>;
}

const bound = new WeakMap<Connection, { models: ContentModels; indexed: Promise<unknown> }>();

/** The content models on this connection, once their unique indexes exist (autoIndex is off store-wide). */
export async function contentModels(conn: Connection): Promise<ContentModels> {
  let entry = bound.get(conn);
  if (!entry) {
    const models: ContentModels = {
      ContentItem: (conn.models.ContentItem as Model<ContentItemDoc>) ?? conn.model('ContentItem', contentItemSchema, 'content_items'),
      FeedSource: (conn.models.FeedSource as Model<FeedSourceDoc>) ?? conn.model('FeedSource', feedSourceSchema, 'feed_sources'),
      ContentDelivery: (conn.models.ContentDelivery as Model<ContentDeliveryDoc>) ?? conn.model('ContentDelivery', contentDeliverySchema, 'content_deliveries'),
    };
    entry = { models, indexed: Promise.all(Object.values(models).map((m: Model<unknown>) => m.createIndexes())) };
    bound.set(conn, entry);
  }
  await entry.indexed;
  return entry.models;
}
