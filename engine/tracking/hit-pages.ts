// Pixel, click and survey hits are stored as pages: one keyed document per flush of the writer,
// holding that flush's hits in a compact form, instead of one document per hit. On the embedded
// database every stored document costs its own statement and JSON conversion: 2,000 hits as
// 2,000 event documents took 120-160 ms of database CPU, as one page 10-20 ms. The page's key is
// what makes a retried write count once: `<writer>.<seq>` for a live flush, `<spool segment>#<n>`
// for hits written from a spool file (the same file always gives the same pages).
// Each hit is one short line, and the page's lines one string: what repeats (campaign step, user
// agent, rule, link) is listed once per page and referred to by number. One string instead of
// an array of 2,000 costs the driver a fifth of the encoding and the embedded database one value
// to convert instead of 2,000 (pages written before hold an array of lines; both are read).
import type { Store } from '../store/index.ts';
import type { RawEventData } from '../reports/raw-events.ts';
import type { Hit, HitKind } from './hits.ts';

export const HIT_PAGES_COLLECTION = 'hitpages';

/** A flush's hits under the key they are written with (kept with the page until it is written). */
export interface HitPage {
  id: string;
  hits: Hit[];
}

interface Context { campaign: string; step: string; program: string }

/** The stored form: `hits` is lines of "<kind> <ctx> <at - page.at, ms> <sentAt, ms> <rule> <agent> <link> <score> <send> <member>" (-1: none), joined by "\n" (an array of them in earlier pages). */
export interface HitPageDoc {
  _id: string;
  at: Date;
  n: number;
  opens: number;
  clicks: number;
  answers: number;
  ctx: Context[];
  agents: string[];
  rules: string[];
  links: string[];
  hits: string | string[];
}

const KIND_CODE: Record<HitKind, string> = { open: 'o', click: 'c', csat: 's' };
const CODE_KIND: Record<string, HitKind> = { o: 'open', c: 'click', s: 'csat' };

/** Numbers each distinct value in order of first use. */
class Dictionary {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();
  of(value: string): number {
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      this.index.set(value, i);
    }
    return i;
  }
}

const enc = (id: string) => encodeURIComponent(id);

export function encodeHitPage(page: HitPage): HitPageDoc {
  const ctx = new Dictionary();
  const contexts: Context[] = [];
  const agents = new Dictionary();
  const rules = new Dictionary();
  const links = new Dictionary();
  const t0 = page.hits.reduce((min, h) => Math.min(min, h.at.getTime()), Infinity);
  let opens = 0;
  let clicks = 0;
  const hits = page.hits.map((h) => {
    const { campaign, step, program = '' } = h.ref;
    const c = ctx.of(`${campaign}\n${step}\n${program}`);
    if (c === contexts.length) contexts.push({ campaign, step, program });
    if (h.kind === 'open') opens++;
    else if (h.kind === 'click') clicks++;
    const rule = h.rule === undefined ? -1 : rules.of(h.rule);
    const link = h.target === undefined ? -1 : links.of(h.target);
    return `${KIND_CODE[h.kind]} ${c} ${h.at.getTime() - t0} ${h.ref.sentAt.getTime()} ${rule} ${agents.of(h.userAgent.slice(0, 300))} ${link} ${h.score ?? 0} ${enc(h.ref.sendLogId)} ${enc(h.ref.memberId)}`;
  });
  return {
    _id: page.id, at: new Date(Number.isFinite(t0) ? t0 : 0), n: hits.length, opens, clicks, answers: hits.length - opens - clicks,
    ctx: contexts, agents: agents.values, rules: rules.values, links: links.values, hits: hits.join('\n'),
  };
}

export function decodeHitPage(doc: HitPageDoc): Hit[] {
  const t0 = new Date(doc.at).getTime();
  const lines = typeof doc.hits === 'string' ? (doc.hits === '' ? [] : doc.hits.split('\n')) : doc.hits;
  return lines.map((line) => {
    const [k, c, at, sentAt, rule, agent, link, score, send, member] = line.split(' ') as string[];
    const where = doc.ctx[Number(c)]!;
    const hit: Hit = {
      kind: CODE_KIND[k!]!, at: new Date(t0 + Number(at)), userAgent: doc.agents[Number(agent)] ?? '',
      ref: { sendLogId: decodeURIComponent(send!), memberId: decodeURIComponent(member!), campaign: where.campaign, step: where.step, ...(where.program ? { program: where.program } : {}), sentAt: new Date(Number(sentAt)) },
    };
    if (rule !== '-1') hit.rule = doc.rules[Number(rule)];
    if (link !== '-1') hit.target = doc.links[Number(link)];
    if (score !== '0') hit.score = Number(score);
    return hit;
  });
}

/** The raw event a stored hit stands for (reports/raw-events.ts): survey hits count nothing there, their answers do. */
export function rawEventOfHit(h: Hit): { type: string; campaign: string; step: string; program?: string; at: Date; data: RawEventData } {
  return { type: h.kind === 'csat' ? 'csat-hit' : h.kind, campaign: h.ref.campaign, step: h.ref.step, program: h.ref.program, at: h.at, data: { machine: h.rule !== undefined } };
}

type PageCollection = { find(filter: object, options?: object): AsyncIterable<unknown> };

/** Every stored hit, one page at a time from one cursor (kpis rebuild, privacy export, tests, bench). */
export async function* storedHitPages(store: Store): AsyncGenerator<Hit[]> {
  const pages = store.db.collection(HIT_PAGES_COLLECTION) as unknown as PageCollection;
  for await (const doc of pages.find({}, { batchSize: 20 })) yield decodeHitPage(doc as HitPageDoc);
}

/** How many opens, clicks and survey answers are stored, from the pages' counts (no hit is decoded). */
export async function storedHitTotals(store: Store): Promise<{ opens: number; clicks: number; answers: number }> {
  const totals = { opens: 0, clicks: 0, answers: 0 };
  const pages = store.db.collection(HIT_PAGES_COLLECTION) as unknown as PageCollection;
  for await (const doc of pages.find({}, { projection: { opens: 1, clicks: 1, answers: 1 } })) {
    const d = doc as Pick<HitPageDoc, 'opens' | 'clicks' | 'answers'>;
    totals.opens += d.opens;
    totals.clicks += d.clicks;
    totals.answers += d.answers;
  }
  return totals;
}
