// Writing one batch of validated member rows. New members are inserted with an `_id` derived
// from their address (one bulk insert; the unique keys reject the ones that exist); existing
// ones are updated by that `_id` (one bulk write, each a keyed lookup). Only members whose id
// is not derived (made before, or by another path) are looked up by email, once per batch.
// Every step is keyed, so re-running a batch, or a whole interrupted import, converges.
import { findEachById } from '../../store/by-id.ts';
import { markMemberRecords } from '../../store/plan-marks.ts';
import { Types } from 'mongoose';
import { memberIdForEmail, type Store } from '../../store/index.ts';
import { insertKeyed } from '../../store/keyed-insert.ts';
import type { memberUpdate } from './rows.ts';

export type MemberWrite = ReturnType<typeof memberUpdate>;

export interface BatchOutcome {
  created: number;
  /** rows of members that existed (written, or already up to date) */
  updated: number;
  /** of those, rows that already matched what is stored: nothing written */
  unchanged: number;
}


/** `defaults` fills fields a new member's row leaves out (an existing member keeps its own). */
export async function writeMemberBatch(store: Store, batch: MemberWrite[], now: Date, defaults?: (row: MemberWrite) => Record<string, unknown>): Promise<BatchOutcome> {
  const { Member } = store.models;
  const docs = batch.map((u) => newMemberDocument(u, now, defaults?.(u)));
  const duplicates = await insertKeyed(Member.collection, docs);
  const existing = [...duplicates].map((i) => batch[i] as MemberWrite);
  // raw writes skip the model's hooks: mark the new rows for the next tick here (after writing)
  const created = batch.filter((_, i) => !duplicates.has(i)).map((u) => String(memberIdForEmail(u.email)));
  if (created.length) await markMemberRecords(store.db, { members: created });
  if (!existing.length) return { created: batch.length, updated: 0, unchanged: 0 };

  // A row that matches what is stored is left alone, so running an import again (or resuming
  // one) costs one indexed read per row instead of a write. The reads go by `_id` (the lookup the
  // embedded database indexes), many at once over the connection pool.
  const stored = await findEachById(Member.collection, existing.map((u) => memberIdForEmail(u.email)));
  const changed = existing.filter((u, i) => !matchesStored(stored[i], { ...u.set, email: u.email }));
  if (changed.length) {
    const byDerivedId = await Member.bulkWrite(
      changed.map((u) => ({ updateOne: { filter: { _id: memberIdForEmail(u.email) }, update: { $set: { ...u.set, email: u.email, updatedAt: now } } } })),
      { ordered: false, timestamps: false },
    );
    if (byDerivedId.matchedCount < changed.length) await updateByEmail(store, changed, now);
    await markMemberRecords(store.db, { members: changed.map((u) => String(memberIdForEmail(u.email))) });
  }
  return { created: batch.length - existing.length, updated: existing.length, unchanged: existing.length - changed.length };
}

/** True when every path the row sets already holds that value (dates by time, arrays and objects by content). */
export function matchesStored(doc: Record<string, unknown> | null | undefined, set: Record<string, unknown>): boolean {
  if (!doc) return false;
  for (const [path, value] of Object.entries(set)) {
    let cur: unknown = doc;
    for (const part of path.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[part] : undefined;
    if (!sameValue(cur, value)) return false;
  }
  return true;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return ka.length === kb.length && kb.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

/** Members with a random `_id`: one scan per batch to find them, then updates by `_id`. */
async function updateByEmail(store: Store, rows: MemberWrite[], now: Date): Promise<void> {
  const { Member } = store.models;
  const found = await Member.find({ email: { $in: rows.map((u) => u.email) } }, { email: 1 }).lean();
  const derived = new Set(rows.map((u) => String(memberIdForEmail(u.email))));
  const legacy = new Map(found.filter((m) => !derived.has(String(m._id))).map((m) => [m.email, m._id as Types.ObjectId]));
  const ops = rows.filter((u) => legacy.has(u.email)).map((u) => ({ updateOne: { filter: { _id: legacy.get(u.email) }, update: { $set: { ...u.set, updatedAt: now } } } }));
  if (ops.length) await Member.bulkWrite(ops, { ordered: false, timestamps: false });
  if (legacy.size) await markMemberRecords(store.db, { members: [...legacy.values()].map(String) });
}

/**
 * The document `new Member(...)` would insert for a row, built as a plain object: constructing a
 * mongoose document per row was 40% of an import's CPU. The rows are validated already (rows.ts),
 * so what the model adds is its defaults; a test holds this equal to the model's own document.
 */
export function newMemberDocument(u: MemberWrite, now: Date, defaults?: Record<string, unknown>): Record<string, unknown> {
  const given = expandDotted(u.set);
  const topics = (given.topics ?? {}) as Record<string, unknown>;
  return {
    name: '', status: 'active', locale: 'en', timezone: 'UTC', renewals: [], tags: [], attributes: {},
    ...withoutUndefined(defaults),
    ...given,
    topics: { newsletter: true, events: true, caseStudies: true, ...topics },
    email: u.email,
    _id: memberIdForEmail(u.email),
    createdAt: now,
    updatedAt: now,
  };
}

/** `{ 'topics.events': false }` -> `{ topics: { events: false } }` for inserts (updates take dotted paths as they are). */
export function expandDotted(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split('.');
    let cur = out;
    for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Record<string, unknown>;
    cur[parts[parts.length - 1] as string] = value;
  }
  return out;
}

function withoutUndefined(o: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined));
}
