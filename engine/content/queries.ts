// Every read and write of the content collections, by name. Other stages call these; none
// touches content_items, feed_sources or content_deliveries directly.
import { markPlanningInputs } from '../store/plan-marks.ts';
import type { Store } from '../store/index.ts';
import { insertKeyed } from '../store/keyed-insert.ts';
import { contentModels, type ContentItemDoc, type FeedSourceDoc } from './models.ts';
import { contentHashOf, type NormalisedItem } from './normalise.ts';


/** The item fields the planner and the CLI read. */
export interface StoredItem {
  guid: string;
  source: string;
  kind?: string | null;
  title: string;
  url: string;
  summary?: string | null;
  imageUrl?: string | null;
  imageAlt?: string | null;
  author?: string | null;
  tags?: string[] | null;
  programs?: string[] | null;
  publishedAt: Date;
  createdAt?: Date | null;
  editedAt?: Date | null;
  file?: string | null;
}

export interface UpsertCounts {
  created: number;
  updated: number;
  unchanged: number;
}

/**
 * Store a source's items. An item already known by guid, or else by canonical link (from this
 * source or another), is updated in place when its fields changed and keeps its identity, so
 * an upstream edit never counts as new content (and is never promoted again).
 */
export async function upsertItems(store: Store, source: string, items: readonly NormalisedItem[], now: Date, files?: ReadonlyMap<string, string>): Promise<UpsertCounts> {
  const counts: UpsertCounts = { created: 0, updated: 0, unchanged: 0 };
  if (items.length === 0) return counts;
  const { ContentItem } = await contentModels(store.conn);
  const existing = await ContentItem.find(
    { $or: [{ _id: { $in: items.map((i) => i.guid) } }, { url: { $in: items.map((i) => i.url) } }] },
    { _id: 1, url: 1, contentHash: 1, publishedAt: 1 },
  ).lean();
  const byId = new Map(existing.map((d) => [d._id, d]));
  const byUrl = new Map(existing.map((d) => [d.url, d]));
  const fresh: object[] = [];
  for (const item of items) {
    const known = byId.get(item.guid) ?? byUrl.get(item.url);
    const publishedAt = item.publishedAt ?? known?.publishedAt ?? now;
    const contentHash = contentHashOf({ ...item, publishedAt });
    const fields = {
      title: item.title, url: item.url, summary: item.summary, html: item.html,
      imageUrl: item.imageUrl, imageAlt: item.imageAlt, author: item.author,
      tags: item.tags, programs: item.programs, kind: item.kind, publishedAt, contentHash,
      ...(files?.has(item.guid) ? { file: files.get(item.guid) } : {}),
    };
    if (!known) {
      fresh.push({ _id: item.guid, guid: item.guid, source, ...fields, createdAt: now, updatedAt: now });
    } else if (known.contentHash === contentHash) {
      counts.unchanged++;
    } else {
      await ContentItem.updateOne({ _id: known._id }, { $set: { ...fields, editedAt: now, updatedAt: now } }, { timestamps: false });
      counts.updated++;
    }
  }
  // Two pollers may insert the same item at once; the keyed insert keeps one of them.
  const dup = await insertKeyed(ContentItem.collection, fresh);
  counts.created += fresh.length - dup.size;
  counts.unchanged += dup.size;
  // digests and promotions are planned again for everyone at the next tick
  if (counts.created + counts.updated > 0) await markPlanningInputs(store.db, { content: true });
  return counts;
}

/** Items published at or after `since` (the planner's window), newest first. */
export async function recentItems(store: Store, since: Date): Promise<StoredItem[]> {
  const { ContentItem } = await contentModels(store.conn);
  return (await ContentItem.find({ publishedAt: { $gte: since } }, { html: 0, contentHash: 0 }).sort({ publishedAt: -1 }).lean()) as unknown as StoredItem[];
}

/** Items for `flywheel content list`, newest first, optionally with one tag. */
export async function listItems(store: Store, options: { tag?: string; limit?: number } = {}): Promise<StoredItem[]> {
  const { ContentItem } = await contentModels(store.conn);
  const filter = options.tag ? { tags: options.tag } : {};
  return (await ContentItem.find(filter, { html: 0, contentHash: 0 }).sort({ publishedAt: -1 }).limit(options.limit ?? 0).lean()) as unknown as StoredItem[];
}

export async function countItemsBySource(store: Store): Promise<Map<string, number>> {
  const { ContentItem } = await contentModels(store.conn);
  const counts = new Map<string, number>();
  for (const d of await ContentItem.find({}, { source: 1 }).lean()) counts.set(d.source, (counts.get(d.source) ?? 0) + 1);
  return counts;
}

export async function itemById(store: Store, guid: string): Promise<(ContentItemDoc & { _id: string }) | null> {
  const { ContentItem } = await contentModels(store.conn);
  return (await ContentItem.findById(guid).lean()) as (ContentItemDoc & { _id: string }) | null;
}

// ---- feed sources ------------------------------------------------------------------------

export type FeedSourceState = FeedSourceDoc & { _id: string };

export async function feedSource(store: Store, name: string): Promise<FeedSourceState | null> {
  const { FeedSource } = await contentModels(store.conn);
  return (await FeedSource.findById(name).lean()) as FeedSourceState | null;
}

export async function feedSources(store: Store): Promise<FeedSourceState[]> {
  const { FeedSource } = await contentModels(store.conn);
  return (await FeedSource.find({}).sort({ _id: 1 }).lean()) as FeedSourceState[];
}

export async function recordPollSuccess(store: Store, name: string, update: { url: string; at: Date; etag?: string; lastModified?: string; created: number; updated: number; rejected: string[] }): Promise<void> {
  const { FeedSource } = await contentModels(store.conn);
  await FeedSource.updateOne(
    { _id: name },
    {
      $set: {
        url: update.url, lastPolledAt: update.at, lastSuccessAt: update.at, consecutiveFailures: 0, rejected: update.rejected,
        etag: update.etag ?? null, lastModified: update.lastModified ?? null,
      },
      $inc: { itemsCreated: update.created, itemsUpdated: update.updated },
    },
    { upsert: true },
  );
}

/** 304: the feed is healthy and unchanged; validators and items stay as they are. */
export async function recordNotModified(store: Store, name: string, url: string, at: Date): Promise<void> {
  const { FeedSource } = await contentModels(store.conn);
  await FeedSource.updateOne({ _id: name }, { $set: { url, lastPolledAt: at, lastSuccessAt: at, consecutiveFailures: 0 } }, { upsert: true });
}

/** A failed poll: the error, its time and one more consecutive failure. Stored items are not touched. */
export async function recordPollFailure(store: Store, name: string, update: { url: string; at: Date; error: string; previousFailures: number }): Promise<void> {
  const { FeedSource } = await contentModels(store.conn);
  // read-then-set rather than $inc: the embedded database does not make $inc atomic, and one
  // poller per feed at a time (the job's concurrency) makes the read exact
  await FeedSource.updateOne(
    { _id: name },
    { $set: { url: update.url, lastPolledAt: update.at, lastError: update.error, lastErrorAt: update.at, consecutiveFailures: update.previousFailures + 1 } },
    { upsert: true },
  );
}

// ---- deliveries ---------------------------------------------------------------------------

export interface DeliveryClaim {
  memberId: string;
  guid: string;
  sendKey: string;
  publishedAt: Date;
}

const deliveryId = (memberId: string, guid: string) => `${memberId}|${guid}`;

/** Item ids each member has been given (by any campaign), for items published at or after `since`. */
export async function deliveredSince(store: Store, since: Date): Promise<Map<string, Set<string>>> {
  const { ContentDelivery } = await contentModels(store.conn);
  const out = new Map<string, Set<string>>();
  for (const d of await ContentDelivery.find({ publishedAt: { $gte: since } }, { _id: 1 }).lean()) {
    const cut = d._id.indexOf('|');
    const member = d._id.slice(0, cut);
    let set = out.get(member);
    if (!set) out.set(member, (set = new Set()));
    set.add(d._id.slice(cut + 1));
  }
  return out;
}

/** Item ids one member has been given (by any campaign), for items published at or after `since`. */
export async function deliveredTo(store: Store, memberId: string, since: Date): Promise<Set<string>> {
  const { ContentDelivery } = await contentModels(store.conn);
  const prefix = `${memberId}|`;
  const rows = await ContentDelivery.find({ _id: { $regex: `^${memberId.replace(/[^A-Za-z0-9]/g, '')}\\|` }, publishedAt: { $gte: since } }, { _id: 1 }).lean();
  return new Set(rows.map((d) => d._id.slice(prefix.length)));
}

/**
 * Claim each (member, item) for a send. Returns the claims already held by a different send:
 * those items must not go out again. Re-claiming for the same send (a re-plan) is harmless.
 */
export async function claimDeliveries(store: Store, claims: readonly DeliveryClaim[], now: Date): Promise<Set<string>> {
  if (claims.length === 0) return new Set();
  const { ContentDelivery } = await contentModels(store.conn);
  const docs = claims.map((c) => ({ _id: deliveryId(c.memberId, c.guid), sendKey: c.sendKey, at: now, publishedAt: c.publishedAt }));
  const dup = await insertKeyed(ContentDelivery.collection, docs);
  if (dup.size === 0) return new Set();
  const clashing = [...dup].map((i) => docs[i]!);
  const holders = new Map((await ContentDelivery.find({ _id: { $in: clashing.map((d) => d._id) } }, { sendKey: 1 }).lean()).map((d) => [d._id, d.sendKey]));
  return new Set(clashing.filter((d) => holders.get(d._id) !== d.sendKey).map((d) => d._id));
}

export function claimKey(memberId: string, guid: string): string {
  return deliveryId(memberId, guid);
}
