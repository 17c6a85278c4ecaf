// Planning marks: a journal of "these planning inputs changed" (members imported or updated,
// sends made, opens, clicks, RSVPs, new content), written by every stage that changes them and
// read by the campaign tick, which re-plans exactly those (campaign, member) pairs. A sequence
// journal (store/journal.ts): one keyed insert per mark, read back by `_id` from the tick's
// cursor until the first free position.
//
// Member records (not only their history) changing also go to a second, smaller journal,
// `member_changes`, that opens and clicks never write: the reports' member snapshot follows it,
// so its catch-up grows with member changes, not with engagement.
import type { Db } from 'mongodb';
import { upsertRetryingOnce } from './keyed-insert.ts';
import { Journal } from './journal.ts';

export const PLAN_MARKS_COLLECTION = 'planmarks';
export const MEMBER_CHANGES_COLLECTION = 'member_changes';
const CURSOR_ID = 'cursor';
const FLOOR_ID = 'floor';

export interface PlanChange {
  /** members whose own data or history changed */
  members?: readonly string[];
  /** every member may have changed (a bulk update by a filter): plan everyone once */
  allMembers?: boolean;
  /** content items were added or changed */
  content?: boolean;
}

interface MarkEntry { members?: string[]; allMembers?: boolean; content?: boolean }
export interface MemberChangeEntry { members?: string[]; allMembers?: boolean }

/** A journal's saved position (the tick's cursor, the member-changes floor): one small document by `_id`. */
const positionIn = (collection: string, id: string) => async (db: Db): Promise<number> =>
  ((await db.collection(collection).findOne({ _id: id as never })) as { n?: number } | null)?.n ?? 0;

/** Raise a saved position to `n` (never lower it: a slower process may save an older one). */
const raisePosition = (db: Db, collection: string, id: string, n: number) =>
  upsertRetryingOnce(() => db.collection(collection).updateOne({ _id: id as never }, { $max: { n } }, { upsert: true }));

/** The tick's cursor: marks below it were read, and only those are ever dropped. */
const marksCursor = positionIn(PLAN_MARKS_COLLECTION, CURSOR_ID);
const planMarks = new Journal<MarkEntry>({ collection: PLAN_MARKS_COLLECTION, floor: marksCursor });

/** Where member-change writers start: entries below it were dropped by the snapshot that read them. */
export const memberChangesFloor = positionIn(MEMBER_CHANGES_COLLECTION, FLOOR_ID);
export const memberChanges = new Journal<MemberChangeEntry>({ collection: MEMBER_CHANGES_COLLECTION, floor: memberChangesFloor });

/** The journal entry for a change (only the fields it sets), or undefined when it names nothing. */
function entryOf(change: PlanChange): MarkEntry | undefined {
  const members = [...new Set(change.members ?? [])];
  if (!members.length && !change.allMembers && !change.content) return undefined;
  return { ...(members.length ? { members } : {}), ...(change.allMembers ? { allMembers: true } : {}), ...(change.content ? { content: true } : {}) };
}

/** Record that planning inputs changed; the next tick re-plans what it names. */
export async function markPlanningInputs(db: Db, change: PlanChange): Promise<void> {
  const entry = entryOf(change);
  if (entry) await planMarks.append(db, entry);
}

/** Record that members' own records changed (import, award, renewal, erasure, any model write): both journals. */
export async function markMemberRecords(db: Db, change: Pick<PlanChange, 'members' | 'allMembers'>): Promise<void> {
  const entry = entryOf({ members: change.members, allMembers: change.allMembers });
  if (entry) await Promise.all([memberChanges.append(db, entry), planMarks.append(db, entry)]);
}

/** Move the member-changes floor up to `n` and drop the entries below it. */
export async function dropMemberChangesBelow(db: Db, n: number): Promise<void> {
  await raisePosition(db, MEMBER_CHANGES_COLLECTION, FLOOR_ID, n);
  await memberChanges.dropBelow(db, n);
}

/**
 * Marks written before positions were strings had number `_id`s, which the embedded database
 * cannot look up by index: the unread ones are appended again as string positions and the old
 * ones removed, once per process. (`$gte: 0` matches numbers only: strings never compare with them.)
 */
const adopted = new WeakSet<Db>();
async function adoptNumberedMarks(db: Db): Promise<void> {
  if (adopted.has(db)) return;
  const col = db.collection(PLAN_MARKS_COLLECTION);
  const unread = await col.find({ _id: { $gte: await marksCursor(db) } as never }).toArray();
  for (const { _id, ...entry } of unread) await planMarks.append(db, entry as MarkEntry);
  await col.deleteMany({ _id: { $gte: 0 } as never });
  adopted.add(db);
}

export interface ReadMarks {
  members: Set<string>;
  allMembers: boolean;
  content: boolean;
  /** where the next read starts */
  next: number;
}

/** Every mark from `from` up to the first free position (`from` undefined: the saved cursor). */
export async function readPlanningMarks(db: Db, from?: number): Promise<ReadMarks> {
  await adoptNumberedMarks(db);
  const start = from ?? (await marksCursor(db));
  const out: ReadMarks = { members: new Set(), allMembers: false, content: false, next: start };
  out.next = await planMarks.read(db, start, (doc) => {
    for (const m of doc.members ?? []) out.members.add(m);
    out.allMembers ||= !!doc.allMembers;
    out.content ||= !!doc.content;
  });
  return out;
}

/** Remember how far the tick has read, and drop marks it no longer needs (kept well below the cursor: writers may start from an older one). */
export async function savePlanningMarksCursor(db: Db, next: number): Promise<void> {
  await raisePosition(db, PLAN_MARKS_COLLECTION, CURSOR_ID, next);
  const keep = 10_000;
  if (next > keep && next % 100 === 0) await planMarks.dropBelow(db, next - keep);
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
    await markMemberRecords(this.db.db, { members: [String(this._id)] });
  });
  schema.post('insertMany', async function (this: { db: { db: Db } }, docs: Array<{ _id: unknown }>) {
    await markMemberRecords(this.db.db, { members: docs.map((d) => String(d._id)) });
  });
  schema.post(['updateOne', 'updateMany', 'findOneAndUpdate', 'replaceOne', 'deleteOne', 'deleteMany', 'findOneAndDelete'], async function (this: { getFilter(): Record<string, unknown>; model: { db: { db: Db } } }) {
    const ids = idsOfFilter(this.getFilter());
    await markMemberRecords(this.model.db.db, ids ? { members: ids } : { allMembers: true });
  });
}
