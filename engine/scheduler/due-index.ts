// The due index: when each (campaign, member) pair next needs planning, kept in time-bucket
// documents read by `_id` (the only lookup the embedded database does not answer by scanning).
// Two levels, like a timing wheel: entries due in a later hour wait in that hour's bucket; the
// first tick of the hour moves them into minute buckets, which every tick reads for the minutes
// since the last one. Buckets are written as keyed inserts of new documents (`<bucket>:<n>`,
// n = 0, 1, ...), never updated, so two writers cannot lose each other's entries. An entry that
// turns out early is harmless (planning finds nothing and files the next time). A bucket
// document holds its entries as one string, a line each: the embedded database stores and
// decodes one string far faster than three arrays of thousands of typed values.
import type { Db } from 'mongodb';
import { isDuplicateKeyError, upsertRetryingOnce } from '../store/keyed-insert.ts';

export const DUE_INDEX_COLLECTION = 'dueindex';
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
/** entries per bucket document (a document stays far below the 16 MB limit) */
const CHUNK = 5_000;
const STATE_ID = 'state';

export interface DueEntry { campaign: string; memberId: string; at: number }

/** What the index was built for: the last tick, each campaign's definition version, the marks read. */
export interface DueIndexState {
  lastTickAt: Date;
  versions: Record<string, string>;
  marksCursor: number;
}

/** `e`: "campaign\tmemberId\tat" lines; `c`/`m`/`t`: the arrays older versions wrote (still read) */
interface BucketDoc { _id: string; e?: string; c?: string[]; m?: string[]; t?: number[] }

const encodeEntries = (entries: readonly DueEntry[]) => entries.map((e) => `${e.campaign}\t${e.memberId}\t${e.at}`).join('\n');

function decodeEntries(doc: BucketDoc, out: DueEntry[]): void {
  if (doc.e !== undefined) {
    for (const line of doc.e.split('\n')) {
      const a = line.indexOf('\t');
      const b = line.indexOf('\t', a + 1);
      if (a > 0 && b > a) out.push({ campaign: line.slice(0, a), memberId: line.slice(a + 1, b), at: Number(line.slice(b + 1)) });
    }
    return;
  }
  const { c = [], m = [], t = [] } = doc;
  for (let i = 0; i < m.length; i++) out.push({ campaign: c[i]!, memberId: m[i]!, at: t[i]! });
}

const bucketOf = (level: 'h' | 'm', at: number) => `${level}:${level === 'h' ? Math.floor(at / HOUR_MS) : Math.floor(at / MINUTE_MS)}`;
/** per bucket, the first number this process has not seen taken */
const nextFree = new WeakMap<Db, Map<string, number>>();

function collection(db: Db) {
  return db.collection<BucketDoc>(DUE_INDEX_COLLECTION);
}

export async function loadDueIndexState(db: Db): Promise<DueIndexState | undefined> {
  const doc = (await db.collection(DUE_INDEX_COLLECTION).findOne({ _id: STATE_ID as never })) as (DueIndexState & { _id: string }) | null;
  return doc ? { lastTickAt: doc.lastTickAt, versions: doc.versions ?? {}, marksCursor: doc.marksCursor ?? 0 } : undefined;
}

export async function saveDueIndexState(db: Db, state: DueIndexState): Promise<void> {
  await upsertRetryingOnce(() => db.collection(DUE_INDEX_COLLECTION).updateOne({ _id: STATE_ID as never }, { $set: state }, { upsert: true }));
}

/**
 * File entries: into minute buckets when they fall in an hour already reached (its hour bucket
 * was or is being moved down), else into their hour's bucket.
 */
export async function fileDue(db: Db, entries: readonly DueEntry[], now: Date): Promise<void> {
  const currentHour = Math.floor(now.getTime() / HOUR_MS);
  const groups = new Map<string, DueEntry[]>();
  for (const e of entries) {
    const key = bucketOf(Math.floor(e.at / HOUR_MS) <= currentHour ? 'm' : 'h', e.at);
    const list = groups.get(key);
    if (list) list.push(e);
    else groups.set(key, [e]);
  }
  const seen = nextFree.get(db) ?? new Map<string, number>();
  nextFree.set(db, seen);
  const writes: Array<Promise<void>> = [];
  for (const [bucket, list] of groups) {
    writes.push((async () => {
      for (let i = 0; i < list.length; i += CHUNK) {
        const part = list.slice(i, i + CHUNK);
        const doc = { e: encodeEntries(part) };
        for (let n = seen.get(bucket) ?? 0; ; n++) {
          try {
            await collection(db).insertOne({ _id: `${bucket}:${n}`, ...doc });
            seen.set(bucket, n + 1);
            break;
          } catch (e) {
            if (!isDuplicateKeyError(e)) throw e;
          }
        }
      }
    })());
    // a few buckets at a time: a rebuild files thousands of them
    if (writes.length >= 8) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
}

async function readBucket(db: Db, bucket: string): Promise<DueEntry[]> {
  const out: DueEntry[] = [];
  for (let n = 0; ; n++) {
    const doc = await collection(db).findOne({ _id: `${bucket}:${n}` });
    if (!doc) {
      const seen = nextFree.get(db) ?? new Map<string, number>();
      nextFree.set(db, seen);
      seen.set(bucket, Math.max(seen.get(bucket) ?? 0, n));
      return out;
    }
    decodeEntries(doc, out);
  }
}

/**
 * Entries due in (since, now]: the minute buckets from the last tick's minute to the end of its
 * hour (or now), and each hour reached since, whose not-yet-due entries move to minute buckets.
 */
export async function readDue(db: Db, since: Date, now: Date): Promise<DueEntry[]> {
  const s = since.getTime();
  const t = now.getTime();
  const due: DueEntry[] = [];
  const lastMinute = Math.min(Math.floor(t / MINUTE_MS), (Math.floor(s / HOUR_MS) + 1) * 60 - 1);
  for (let m = Math.floor(s / MINUTE_MS); m <= lastMinute; m++) {
    for (const e of await readBucket(db, `m:${m}`)) if (e.at > s && e.at <= t) due.push(e);
  }
  const later: DueEntry[] = [];
  for (let h = Math.floor(s / HOUR_MS) + 1; h <= Math.floor(t / HOUR_MS); h++) {
    for (const e of await readBucket(db, `h:${h}`)) (e.at <= t ? due : later).push(e);
  }
  if (later.length) await fileDue(db, later, now);
  return due;
}
