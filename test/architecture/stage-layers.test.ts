// Arrows point down the pipeline (STYLE.md): a stage imports only from stages before it and from
// the base modules, so there is no import cycle between stage folders. The order is
//   base (config, clock, errors, log, secret, calendar, store) -> ledger -> campaigns -> content
//   -> audience -> planner -> scheduler -> render -> delivery -> tracking -> reports
//   -> applications -> http -> cli,   with main.ts and demo.ts (the composition root) on top.
// The ledger sits just above the store: it is the record every later stage writes or reads
// (campaigns cancel pending sends, the scheduler writes send logs, delivery writes results,
// tracking and reports read them), and it imports nothing but the store.
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../engine/config.ts';
import { engineImports, stageCycles, type ImportEdge } from './stage-graph.ts';

const BASE = ['config', 'clock', 'errors', 'log', 'secret', 'calendar', 'store', 'memory'];
const PIPELINE = ['ledger', 'campaigns', 'content', 'audience', 'planner', 'scheduler', 'render', 'delivery', 'tracking', 'reports', 'applications', 'http', 'cli'];
const ROOT_MODULES = ['main', 'demo'];

/**
 * Upward arrows that exist today, each with why and what would remove it. The test fails on any
 * arrow not listed here, and on an entry that no longer occurs (delete it: the tree got better).
 */
const KNOWN_UPWARD: Record<string, string> = {
  'campaigns -> audience': 'the segment DSL (where/and/or, audience/segment.ts) and the Programs type are what campaign files are written in; they belong in campaigns/, with audience/ compiling them to filters',
  'scheduler -> delivery': 'the send-batch job calls delivery/sender runBatch directly; main.ts should hand the scheduler the batch runner',
  'render -> tracking': 'type only: renderer signs links with TrackingUrls (tracking/tokens.ts); link signing belongs in render/ or below it',
  'delivery -> tracking': 'type only: TrackingUrls for the List-Unsubscribe header, as render -> tracking',
  'delivery -> reports': 'the sender counts sends through reports/counters and raw-events; a counting port owned by delivery (implemented by reports, wired in main) would turn it round',
  'tracking -> reports': 'tracking adds events to the counters through the reports counter API (TEAM.md interface); same port as delivery -> reports',
};

function rankOf(stage: string): number {
  if (BASE.includes(stage)) return -1;
  if (ROOT_MODULES.includes(stage)) return PIPELINE.length;
  return PIPELINE.indexOf(stage);
}

function upward(edges: ImportEdge[]): Map<string, ImportEdge[]> {
  const out = new Map<string, ImportEdge[]>();
  for (const e of edges) {
    if (e.fromStage === e.toStage) continue;
    const from = rankOf(e.fromStage);
    const to = rankOf(e.toStage);
    // base modules may use each other (config reads the secret, the store reads config), acyclically
    if (from === -1 && to === -1) continue;
    // the composition root is imported only by the CLI (which takes its pieces from main.ts) and the demo
    if (ROOT_MODULES.includes(e.toStage) && (e.fromStage === 'cli' || ROOT_MODULES.includes(e.fromStage))) continue;
    if (to >= from) out.set(`${e.fromStage} -> ${e.toStage}`, [...(out.get(`${e.fromStage} -> ${e.toStage}`) ?? []), e]);
  }
  return out;
}

const describeEdges = (list: ImportEdge[]) => list.map((e) => `  ${e.from}:${e.line} imports ${e.to}${e.typeOnly ? ' (types only)' : ''}`).join('\n');

describe('engine stages', () => {
  const edges = engineImports(PROJECT_ROOT);

  it('every folder and top-level module under engine/ has a place in the pipeline', () => {
    const stages = new Set(edges.flatMap((e) => [e.fromStage, e.toStage]));
    const unplaced = [...stages].filter((s) => ![...BASE, ...PIPELINE, ...ROOT_MODULES].includes(s));
    expect(unplaced, 'add the new stage to PIPELINE (or BASE) in test/architecture/stage-layers.test.ts, where its arrows point down').toEqual([]);
  });

  it('no stage imports from a later stage (beyond the known arrows listed with their fix)', () => {
    const found = upward(edges);
    const unknown = [...found].filter(([pair]) => !(pair in KNOWN_UPWARD));
    expect(unknown.map(([pair, list]) => `${pair}:\n${describeEdges(list)}`).join('\n'), 'an import points up the pipeline: move the shared code down to the lower stage, or inject it from main.ts').toBe('');
    const stale = Object.keys(KNOWN_UPWARD).filter((pair) => !found.has(pair));
    expect(stale, 'these arrows are gone: remove them from KNOWN_UPWARD').toEqual([]);
  });

  it('the stage graph has no cycle once the known upward arrows are set aside, and the ledger and base take part in none', () => {
    const known = new Set(Object.keys(KNOWN_UPWARD));
    const rest = edges.filter((e) => !known.has(`${e.fromStage} -> ${e.toStage}`));
    expect(stageCycles(rest)).toEqual([]);
    for (const cycle of stageCycles(edges)) {
      expect(cycle.filter((s) => s === 'ledger' || BASE.includes(s) || s === 'http' || s === 'cli')).toEqual([]);
    }
  });

  it('finds imports of every form: named, type-only, re-exports and dynamic', () => {
    const from = (file: string) => edges.filter((e) => e.from === file);
    expect(from('engine/main.ts').map((e) => e.toStage)).toEqual(expect.arrayContaining(['store', 'scheduler', 'http', 'delivery']));
    expect(edges.some((e) => e.typeOnly)).toBe(true);
    expect(from('engine/store/index.ts').some((e) => e.to === 'engine/store/connection.ts')).toBe(true);
  });
});
