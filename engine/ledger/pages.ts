// Whole-ledger reads for rebuilds (reports' `kpis rebuild`): every record, page by page from
// one cursor in the database's natural order, so the cost grows with the records read and
// memory stays at one page. Not keyset pages (`_id > last`, sorted): the embedded database
// pushes neither the range nor the sort down, so every page re-read and sorted the whole
// collection (a 100,000-document rebuild spent 25-55 s per page).
import type { Store } from '../store/index.ts';
import { ledgerModels } from './models.ts';

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

/** Every send result, page by page. */
export async function* resultPages(store: Store): AsyncGenerator<ResultFact[]> {
  const { SendResult } = await ledgerModels(store);
  yield* cursorPages<ResultFact>(SendResult.collection as unknown as RawCollection, { sendLogId: 1, campaign: 1, step: 1, status: 1, at: 1, bounce: 1 });
}
