// Planning marks: a journal of "these planning inputs changed" (members imported or updated,
// sends made, opens, clicks, RSVPs, new content), written by every stage that changes them and
// read by the campaign tick, which re-plans exactly those (campaign, member) pairs.
// Built for the embedded database: each mark is one keyed insert at the next free sequence
// number (keyed inserts are atomic there, concurrent updates are not), and the tick reads them
// back by `_id` from its cursor until the first gap. Writers never leave a gap: a writer only
// tries n after seeing n - 1 taken (or from the tick's cursor, below which everything exists).
import type { Db } from 'mongodb';
import { isDuplicateKeyError, upsertRetryingOnce } from './keyed-insert.ts';

export const PLAN_MARKS_COLLECTION = 'planmarks';
const CURSOR_ID = 'cursor';

export interface PlanChange {
  /** members whose own data or history changed */
  members?: readonly string[];
  /** every member may have changed (a bulk update by a filter): plan everyone once */
  allMembers?: boolean;
  /** content items were added or changed */
  content?: boolean;
}

interface MarkDoc { _id: number; members?: string[]; allMembers?: boolean; content?: boolean }

/** next free sequence number as this process last saw it, per database */
const nextFree = new WeakMap<Db, number>();

async function cursorOf(db: Db): Promise<number> {
  const doc = (await db.collection(PLAN_MARKS_COLLECTION).findOne({ _id: CURSOR_ID as never })) as { n?: number } | null;
  return doc?.n ?? 0;
}

/** Record that planning inputs changed; the next tick re-plans what it names. */
export async function markPlanningInputs(db: Db, change: PlanChange): Promise<void> {
  const members = [...new Set(change.members ?? [])];
  if (!members.length && !change.allMembers && !change.content) return;
  const marks = db.collection<MarkDoc>(PLAN_MARKS_COLLECTION);
  // from the tick's cursor at least: everything below it exists or was read and dropped
  let n = Math.max(nextFree.get(db) ?? 0, await cursorOf(db));
  for (;;) {
    try {
      await marks.insertOne({ _id: n, ...(members.length ? { members } : {}), ...(change.allMembers ? { allMembers: true } : {}), ...(change.content ? { content: true } : {}) });
      nextFree.set(db, n + 1);
      return;
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
      n++;
    }
  }
}

export interface ReadMarks {
  members: Set<string>;
  allMembers: boolean;
  content: boolean;
  /** where the next read starts */
  next: number;
}

/** Every mark from `from` up to the first free number (`from` undefined: the saved cursor). */
export async function readPlanningMarks(db: Db, from?: number): Promise<ReadMarks> {
  const marks = db.collection<MarkDoc>(PLAN_MARKS_COLLECTION);
  let n = from ?? (await cursorOf(db));
  const out: ReadMarks = { members: new Set(), allMembers: false, content: false, next: n };
  for (;; n++) {
    const doc = await marks.findOne({ _id: n });
    if (!doc) break;
    for (const m of doc.members ?? []) out.members.add(m);
    out.allMembers ||= !!doc.allMembers;
    out.content ||= !!doc.content;
  }
  out.next = n;
  return out;
}

/** Remember how far the tick has read, and drop marks it no longer needs (kept well below the cursor: writers may start from an older one). */
export async function savePlanningMarksCursor(db: Db, next: number): Promise<void> {
  const marks = db.collection<MarkDoc>(PLAN_MARKS_COLLECTION);
  await upsertRetryingOnce(() => marks.updateOne({ _id: CURSOR_ID as never }, { $max: { n: next } }, { upsert: true }));
  const keep = 10_000;
  if (next > keep && next % 100 === 0) await marks.deleteMany({ _id: { $lt: next - keep } });
}

/** The members a write's filter names by `_id` (one, or `$in`), or undefined when it names them otherwise. */
function idsOfFilter(filter: Record<string, unknown> | undefined): string[] | undefined {
  const id = filter?._id as unknown;
  if (id === undefined || id === null) return undefined;
  if (typeof id === 'object' && !(id as { _bsontype?: string })._bsontype) {
    const list = (id as { $in?: unknown[] }).$in;
    return Array.isArray(list) && Object.keys(id as object).length === 1 ? list.map(String) : undefined;
  }
  return [String(id)];
}

type Hooked = { post(name: string | string[], fn: (this: any, res: any) => Promise<void>): unknown };

/**
 * Every write to members through mongoose marks the members it touched (after the write, so a
 * tick that reads the mark reads the new data); an update by any other filter marks everyone.
 * Raw collection writes (the tracking writer's bulk flush, member import) mark explicitly.
 */
export function markMemberWrites(schema: Hooked): void {
  schema.post('save', async function (this: { _id: unknown; db: { db: Db } }) {
    await markPlanningInputs(this.db.db, { members: [String(this._id)] });
  });
  schema.post('insertMany', async function (this: { db: { db: Db } }, docs: Array<{ _id: unknown }>) {
    await markPlanningInputs(this.db.db, { members: docs.map((d) => String(d._id)) });
  });
  schema.post(['updateOne', 'updateMany', 'findOneAndUpdate', 'replaceOne', 'deleteOne', 'deleteMany', 'findOneAndDelete'], async function (this: { getFilter(): Record<string, unknown>; model: { db: { db: Db } } }) {
    const ids = idsOfFilter(this.getFilter());
    await markPlanningInputs(this.model.db.db, ids ? { members: ids } : { allMembers: true });
  });
}
