// Whole-ledger reads for rebuilds (reports' `kpis rebuild`): every record, page by page from
// one cursor in the database's natural order, so the cost grows with the records read and
// memory stays at one page. Not keyset pages (`_id > last`, sorted): the embedded database
// pushes neither the range nor the sort down, so every page re-read and sorted the whole
// collection (a 100,000-document rebuild spent 25-55 s per page).
import type { Store } from '../store/index.ts';
import { ledgerModels } from './models.ts';
import { outcomesOf } from './results.ts';

const PAGE = 5000;

type RawCollection = { find(filter: object, options?: object): AsyncIterable<unknown> };

async function* cursorPages<T>(collection: RawCollection, projection: Record<string, 1>): AsyncGenerator<Array<T & { _id: unknown }>> {
  let page: Array<T & { _id: unknown }> = [];
  for await (const doc of collection.find({}, { projection, batchSize: PAGE })) {
    page.push(doc as T & { _id: unknown });
    if (page.length === PAGE) {
      yield page;
      page = [];
    }
  }
  if (page.length) yield page;
}

/** Every send-log record's member and program (results carry neither), page by page. */
export async function* sendRecipientPages(store: Store): AsyncGenerator<Array<{ sendLogId: string; memberId: string; program?: string }>> {
  const { SendLog } = await ledgerModels(store);
  for await (const page of cursorPages<{ memberId: unknown; program?: string }>(SendLog.collection as unknown as RawCollection, { memberId: 1, program: 1 })) {
    yield page.map((l) => ({ sendLogId: String(l._id), memberId: String(l.memberId), program: l.program }));
  }
}

export interface ResultFact { sendLogId: unknown; campaign: string; step: string; status: string; at: Date; bounce?: boolean }

/**
 * Every send outcome, page by page (result documents hold pages of about a hundred outcomes).
 * An outcome two runs of a batch both recorded (a run that lost its lease had it in flight) is
 * given once: the few batches with more than one run are found first, and only their outcomes
 * are remembered, so memory stays small however many results there are.
 */
export async function* resultPages(store: Store): AsyncGenerator<ResultFact[]> {
  const { SendResult } = await ledgerModels(store);
  const rerun = new Set((await SendResult.find({ run: { $gt: 1 } }, { batchId: 1 }).lean()).map((d) => String(d.batchId)));
  const seen = new Set<string>();
  const docsPerPage = Math.max(1, Math.floor(PAGE / 100));
  let facts: ResultFact[] = [];
  let docs = 0;
  for await (const doc of (SendResult.collection as unknown as RawCollection).find({}, { batchSize: docsPerPage })) {
    const d = doc as Parameters<typeof outcomesOf>[0];
    const dedupe = rerun.has(String(d.batchId));
    for (const o of outcomesOf(d)) {
      if (dedupe) {
        if (seen.has(o._id)) continue;
        seen.add(o._id);
      }
      facts.push({ sendLogId: o.sendLogId, campaign: o.campaign, step: o.step, status: o.status, at: o.at, bounce: o.bounce });
    }
    if (++docs === docsPerPage) {
      yield facts;
      facts = [];
      docs = 0;
    }
  }
  if (facts.length) yield facts;
}
