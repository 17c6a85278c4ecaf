// The members' facts a membership report needs (program, application, award, expiry, renewals),
// kept as a packed snapshot of a few documents (2,000 members each, as one JSON string), so a
// report reads dozens of documents instead of every member: the embedded database decodes
// every document a scan touches, and 5,000 members took seconds.
//
// Exact, not approximate: the snapshot records the first position of the member-changes journal
// (store/plan-marks.ts) it has not seen. Every write of a member's record leaves an entry there
// (mongoose hooks; the raw writers mark explicitly) after writing; opens, clicks and sends do not,
// so catching up costs what the members' changes cost, not what engagement does. A reader re-reads
// by `_id` the members the later entries name and writes a newer snapshot when there were any. An
// entry that names every member, entries already dropped, or no snapshot at all mean one full read
// of the members (the old way, kept as the baseline and for `kpis rebuild`). Re-reading a member
// is idempotent, so concurrent writers, readers and folds can only cost extra reads, never a
// wrong figure.
import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import type { Store } from '../store/index.ts';
import { isDuplicateKeyError } from '../store/keyed-insert.ts';
import { storedId } from '../store/member-id.ts';
import { findEachById } from '../store/by-id.ts';
import { dropMemberChangesBelow, memberChanges, memberChangesFloor } from '../store/plan-marks.ts';
import type { MemberFacts } from './membership.ts';

export const MEMBER_FACTS_COLLECTION = 'member_fact_snapshots';
const PART_SIZE = 2000;
const REREAD_SHARE = 8;
const REREAD_MIN = 200;
/** entries kept below the newest snapshot's position (a slower reader may still be catching up from them) */
const KEEP_CHANGES = 10_000;
/** snapshots from before the member-changes journal counted planning marks: not comparable */
const SOURCE = 'member-changes';
const FACT_FIELDS = { program: 1, appliedAt: 1, awardedAt: 1, expiresAt: 1, renewals: 1 } as const;

export type MemberFactsById = Map<string, MemberFacts>;

type Packed = [id: string, program: string, applied: number | null, awarded: number | null, expires: number | null, renewals?: Array<[number | null, number | null]>];
interface HeaderDoc { _id: string; type: 'header'; gen: number; token: string; parts: number; marks: number; source?: string }
interface PartDoc { _id: string; type: 'part'; gen: number; token: string; part: number; facts: string }

const ms = (d: Date | null | undefined) => (d instanceof Date ? d.getTime() : null);
const date = (n: number | null | undefined) => (n === null || n === undefined ? null : new Date(n));

interface MemberDoc { _id: unknown; program: string; appliedAt?: Date | null; awardedAt?: Date | null; expiresAt?: Date | null; renewals?: Array<{ renewedAt?: Date | null; expiresAt?: Date | null }> | null }

function factsOf(m: MemberDoc): MemberFacts {
  return {
    program: m.program, appliedAt: m.appliedAt ?? null, awardedAt: m.awardedAt ?? null, expiresAt: m.expiresAt ?? null,
    renewals: (m.renewals ?? []).map((r) => ({ renewedAt: r.renewedAt ?? null, expiresAt: r.expiresAt ?? null })),
  };
}

function pack(id: string, f: MemberFacts): Packed {
  const p: Packed = [id, f.program, ms(f.appliedAt), ms(f.awardedAt), ms(f.expiresAt)];
  if (f.renewals?.length) p.push(f.renewals.map((r) => [ms(r.renewedAt), ms(r.expiresAt)]));
  return p;
}

function unpack(p: Packed): MemberFacts {
  return { program: p[1], appliedAt: date(p[2]), awardedAt: date(p[3]), expiresAt: date(p[4]), renewals: (p[5] ?? []).map(([r, e]) => ({ renewedAt: date(r), expiresAt: date(e) })) };
}

/** Every member's facts, read from the members themselves (the baseline; what a rebuild trusts). */
export async function readAllMemberFacts(store: Store): Promise<MemberFactsById> {
  const out: MemberFactsById = new Map();
  for await (const m of store.models.Member.collection.find({}, { projection: FACT_FIELDS, batchSize: 5000 })) out.set(String(m._id), factsOf(m as unknown as MemberDoc));
  return out;
}

/**
 * The members named from entry `from` on, up to the first free position; stops early
 * (`tooMany`) once more than `limit` members are named or an entry names everyone: a full read
 * is cheaper then, and reading the rest of the entries would cost as much again.
 */
async function membersChangedSince(db: Db, from: number, limit: number): Promise<{ members: Set<string>; next: number; tooMany: boolean }> {
  const members = new Set<string>();
  let tooMany = false;
  const next = await memberChanges.read(db, from, (entry) => {
    for (const m of entry.members ?? []) members.add(m);
    tooMany = !!entry.allMembers || members.size > limit;
    return !tooMany;
  });
  return { members, next, tooMany };
}

/** Entries below the floor were dropped: a snapshot from before it cannot catch up. */
const changesKeptFrom = async (db: Db, from: number) => from >= (await memberChangesFloor(db));

/** Members' facts by `_id` (store/by-id.ts: one indexed lookup each). */
async function readMembers(store: Store, ids: string[]): Promise<Map<string, MemberFacts>> {
  const found = await findEachById(store.models.Member.collection, ids.map(storedId), FACT_FIELDS);
  return new Map(found.filter((m) => m !== null).map((m) => [String(m!._id), factsOf(m as unknown as MemberDoc)]));
}

interface Snapshot { gen: number; marks: number; facts: MemberFactsById }

/** The newest complete snapshot in the collection, if any. */
async function newestSnapshot(store: Store): Promise<Snapshot | undefined> {
  const docs = (await store.db.collection(MEMBER_FACTS_COLLECTION).find({}).toArray()) as unknown as Array<HeaderDoc | PartDoc>;
  const headers = docs.filter((d): d is HeaderDoc => d.type === 'header').sort((a, b) => b.gen - a.gen);
  for (const h of headers) {
    if (h.source !== SOURCE) continue; // counted in another journal's positions
    const parts = docs.filter((d): d is PartDoc => d.type === 'part' && d.gen === h.gen && d.token === h.token).sort((a, b) => a.part - b.part);
    if (parts.length !== h.parts) continue; // being written, or being cleaned up
    const facts: MemberFactsById = new Map();
    for (const p of parts) for (const packed of JSON.parse(p.facts) as Packed[]) facts.set(packed[0], unpack(packed));
    return { gen: h.gen, marks: h.marks, facts };
  }
  return undefined;
}

/**
 * Write `facts` as snapshot `gen` (it has seen every mark below `marks`). Parts first, the header
 * last (a keyed insert: of two processes writing the same generation one wins, the other removes
 * its parts); then older generations go. Returns false when another process wrote `gen` first.
 */
export async function writeSnapshot(store: Store, gen: number, marks: number, facts: MemberFactsById): Promise<boolean> {
  const col = store.db.collection(MEMBER_FACTS_COLLECTION);
  const token = randomBytes(6).toString('hex');
  const packed = [...facts].map(([id, f]) => pack(id, f));
  const parts: PartDoc[] = [];
  for (let i = 0; i < packed.length; i += PART_SIZE) {
    const part = parts.length;
    parts.push({ _id: `part|${gen}|${token}|${part}`, type: 'part', gen, token, part, facts: JSON.stringify(packed.slice(i, i + PART_SIZE)) });
  }
  if (parts.length) await col.insertMany(parts as never[], { ordered: false });
  try {
    await col.insertOne({ _id: `header|${String(gen).padStart(12, '0')}`, type: 'header', gen, token, parts: parts.length, marks, source: SOURCE } as never);
  } catch (e) {
    if (!isDuplicateKeyError(e)) throw e;
    await col.deleteMany({ gen, token });
    return false;
  }
  await col.deleteMany({ gen: { $lt: gen } });
  // entries far below what the newest snapshot has seen are no longer needed
  if (marks - (await memberChangesFloor(store.db)) > 2 * KEEP_CHANGES) await dropMemberChangesBelow(store.db, marks - KEEP_CHANGES);
  return true;
}

/** A snapshot from one full read of the members (when there is none to catch up from, and for `kpis rebuild`). */
export async function snapshotFromMembers(store: Store, gen?: number, changesFrom?: number): Promise<MemberFactsById> {
  // the journal's position first: a member written during the read leaves an entry at or after it
  const marks = await memberChanges.firstFree(store.db, changesFrom);
  const facts = await readAllMemberFacts(store);
  const next = gen ?? ((await newestSnapshot(store))?.gen ?? 0) + 1;
  await writeSnapshot(store, next, marks, facts);
  return facts;
}

/** Every member's facts as of now, from the snapshot and the members changed since (see the header). */
export async function currentMemberFacts(store: Store): Promise<MemberFactsById> {
  const snapshot = await newestSnapshot(store);
  if (!snapshot || !(await changesKeptFrom(store.db, snapshot.marks))) return snapshotFromMembers(store, (snapshot?.gen ?? 0) + 1);
  // A lookup by `_id` costs several documents of a full read: past an eighth of the members
  // (a large import, say), one full read is cheaper.
  const changed = await membersChangedSince(store.db, snapshot.marks, Math.max(REREAD_MIN, snapshot.facts.size / REREAD_SHARE));
  if (changed.tooMany) return snapshotFromMembers(store, snapshot.gen + 1, changed.next);
  if (changed.next === snapshot.marks) return snapshot.facts;
  const ids = [...changed.members];
  const fresh = await readMembers(store, ids);
  for (const id of ids) {
    const f = fresh.get(id);
    if (f) snapshot.facts.set(id, f);
    else snapshot.facts.delete(id);
  }
  await writeSnapshot(store, snapshot.gen + 1, changed.next, snapshot.facts);
  return snapshot.facts;
}

/** Members whose facts in the kept snapshot (caught up) differ from the members themselves. */
export function compareMemberFacts(live: MemberFactsById, fromMembers: MemberFactsById): { missing: string[]; extra: string[]; changed: string[] } {
  const same = (a: MemberFacts, b: MemberFacts) => JSON.stringify(pack('', a)) === JSON.stringify(pack('', b));
  return {
    missing: [...fromMembers.keys()].filter((id) => !live.has(id)).sort(),
    extra: [...live.keys()].filter((id) => !fromMembers.has(id)).sort(),
    changed: [...live].filter(([id, f]) => fromMembers.has(id) && !same(f, fromMembers.get(id)!)).map(([id]) => id).sort(),
  };
}
