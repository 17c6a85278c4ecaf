// Members reached (per program and UTC month) and renewal reminders sent (per campaign and
// month), recorded at send time beside the counters. Packed: one document per program (or
// campaign), month and writer shard holding its member ids or reminders, so a report reads
// dozens of documents instead of one per member (the embedded database decodes every document a
// filtered read touches). Each shard has one writer, which `$set`s its whole contents (a flush
// repeated after a failure is harmless); readers take the union, so a record in two shards
// (two writers, a repair, a rebuild beside a live writer) counts once.
import type { Store } from '../store/index.ts';
import { reachMonth, rollupDay } from './metrics.ts';

export const REACH_SHARDS = 'reach_shards';
export const REMINDER_SHARDS = 'reminder_shards';

/** One member reached in one program and month (`_id` = `<program>|<month>|<memberId>`). */
export interface ReachRecord { _id: string; program: string; month: string; memberId: string }
/** One renewal reminder (`_id` = `<memberId>|<campaign>|<step>|<day>`: one a day per step counts). */
export interface ReminderRecord { _id: string; memberId: string; campaign: string; step: string; at: Date }

export interface ReachShardDoc { _id: string; program: string; month: string; writer: string; members: string }
export interface ReminderShardDoc { _id: string; campaign: string; month: string; writer: string; reminders: string }

export const reachRecordId = (program: string, month: string, memberId: string) => `${program}|${month}|${memberId}`;
export const reminderRecordId = (memberId: string, campaign: string, step: string, at: Date) => `${memberId}|${campaign}|${step}|${rollupDay(at)}`;

/** A reach shard's document: member ids space-separated (one string decodes far faster than an array). */
export function reachShardDoc(id: string, writer: string, program: string, month: string, members: Iterable<string>): ReachShardDoc {
  return { _id: id, program, month, writer, members: [...members].join(' ') };
}

/** A reminder shard's document: `[memberId, step, at ms]` triples as JSON. */
export function reminderShardDoc(id: string, writer: string, campaign: string, month: string, reminders: Iterable<ReminderRecord>): ReminderShardDoc {
  return { _id: id, campaign, month, writer, reminders: JSON.stringify([...reminders].map((r) => [r.memberId, r.step, r.at.getTime()])) };
}

function reachOf(doc: ReachShardDoc): ReachRecord[] {
  return doc.members ? doc.members.split(' ').map((memberId) => ({ _id: reachRecordId(doc.program, doc.month, memberId), program: doc.program, month: doc.month, memberId })) : [];
}

function remindersOf(doc: ReminderShardDoc): ReminderRecord[] {
  return (JSON.parse(doc.reminders || '[]') as Array<[string, string, number]>).map(([memberId, step, ms]) => {
    const at = new Date(ms);
    return { _id: reminderRecordId(memberId, doc.campaign, step, at), memberId, campaign: doc.campaign, step, at };
  });
}

const reachCollection = (store: Store) => store.db.collection<ReachShardDoc>(REACH_SHARDS);
const reminderCollection = (store: Store) => store.db.collection<ReminderShardDoc>(REMINDER_SHARDS);

/** Distinct members reached per program in the given months. */
export async function membersReached(store: Store, filter: { months: string[]; program?: string }): Promise<Map<string, Set<string>>> {
  const docs = await reachCollection(store).find({ month: { $in: filter.months }, ...(filter.program ? { program: filter.program } : {}) }).toArray();
  const out = new Map<string, Set<string>>();
  for (const d of docs) {
    let set = out.get(d.program);
    if (!set) out.set(d.program, (set = new Set()));
    if (d.members) for (const id of d.members.split(' ')) set.add(id);
  }
  return out;
}

/** Every renewal reminder recorded (of one campaign), one per key: the earliest when recorded twice. */
export async function renewalReminders(store: Store, campaign?: string): Promise<ReminderRecord[]> {
  const docs = await reminderCollection(store).find(campaign ? { campaign } : {}).toArray();
  const byId = new Map<string, ReminderRecord>();
  for (const d of docs) {
    for (const r of remindersOf(d)) {
      const known = byId.get(r._id);
      if (!known || r.at < known.at) byId.set(r._id, r);
    }
  }
  return [...byId.values()];
}

/** Every reach record, once, in `_id` order (to compare with a recomputation). */
export async function reachRecords(store: Store): Promise<ReachRecord[]> {
  const byId = new Map<string, ReachRecord>();
  for (const d of await reachCollection(store).find({}).toArray()) for (const r of reachOf(d)) byId.set(r._id, r);
  return [...byId.values()].sort((a, b) => a._id.localeCompare(b._id));
}

export async function reminderRecords(store: Store): Promise<ReminderRecord[]> {
  return (await renewalReminders(store)).sort((a, b) => a._id.localeCompare(b._id));
}

/** Write `records` as shards of `writer` (one per program/campaign and month), replacing that writer's earlier ones of the same key. */
export async function writeReachShards(store: Store, writer: string, records: readonly ReachRecord[]): Promise<void> {
  const groups = new Map<string, { program: string; month: string; members: Set<string> }>();
  for (const r of records) {
    const key = `${r.program}|${r.month}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { program: r.program, month: r.month, members: new Set() }));
    g.members.add(r.memberId);
  }
  const docs = [...groups.entries()].map(([key, g]) => reachShardDoc(`${key}|${writer}`, writer, g.program, g.month, g.members));
  if (docs.length) await reachCollection(store).bulkWrite(docs.map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } })), { ordered: false });
}

export async function writeReminderShards(store: Store, writer: string, records: readonly ReminderRecord[]): Promise<void> {
  const groups = new Map<string, { campaign: string; month: string; reminders: ReminderRecord[] }>();
  for (const r of records) {
    const month = reachMonth(r.at);
    const key = `${r.campaign}|${month}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { campaign: r.campaign, month, reminders: [] }));
    g.reminders.push(r);
  }
  const docs = [...groups.entries()].map(([key, g]) => reminderShardDoc(`${key}|${writer}`, writer, g.campaign, g.month, g.reminders));
  if (docs.length) await reminderCollection(store).bulkWrite(docs.map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } })), { ordered: false });
}

/** Drop every shard not written by `writer` (a rebuild's last step). */
export async function deleteShardsExcept(store: Store, writer: string): Promise<void> {
  await reachCollection(store).deleteMany({ writer: { $ne: writer } });
  await reminderCollection(store).deleteMany({ writer: { $ne: writer } });
}
