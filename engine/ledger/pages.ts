// Whole-ledger reads for rebuilds (reports' `kpis rebuild`): every record, page by page in
// `_id` order (keyset, the only order the embedded database serves without sorting), so the
// cost grows with the records read and memory stays at one page.
import type { Store } from '../store/index.ts';
import { ledgerModels } from './models.ts';

const PAGE = 5000;

type RawCollection = { find(filter: object, options?: object): { sort(s: object): { limit(n: number): { toArray(): Promise<unknown[]> } } } };

async function* keysetPages<T>(collection: RawCollection, projection: Record<string, 1>): AsyncGenerator<Array<T & { _id: unknown }>> {
  let after: unknown;
  for (;;) {
    const page = (await collection.find(after === undefined ? {} : { _id: { $gt: after } }, { projection }).sort({ _id: 1 }).limit(PAGE).toArray()) as Array<T & { _id: unknown }>;
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1]!._id;
  }
}

/** Every send-log record's program (results do not carry it), page by page. */
export async function* sendProgramPages(store: Store): AsyncGenerator<Array<{ sendLogId: string; program?: string }>> {
  const { SendLog } = await ledgerModels(store);
  for await (const page of keysetPages<{ program?: string }>(SendLog.collection as unknown as RawCollection, { program: 1 })) {
    yield page.map((l) => ({ sendLogId: String(l._id), program: l.program }));
  }
}

export interface ResultFact { sendLogId: unknown; campaign: string; step: string; status: string; at: Date; bounce?: boolean }

/** Every send result, page by page. */
export async function* resultPages(store: Store): AsyncGenerator<ResultFact[]> {
  const { SendResult } = await ledgerModels(store);
  yield* keysetPages<ResultFact>(SendResult.collection as unknown as RawCollection, { sendLogId: 1, campaign: 1, step: 1, status: 1, at: 1, bounce: 1 });
}
