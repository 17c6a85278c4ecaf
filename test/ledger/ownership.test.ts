// The send ledger has one owner: nothing in the engine (or the benchmarks) outside
// engine/ledger/ may touch its collections. Other stages call the ledger's named queries.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../../engine/store/index.ts';

const LEDGER_DIR = join(ROOT_DIR, 'engine', 'ledger');
const MODELS = ['SendLog', 'Payload', 'SendBatch', 'BatchRecipients', 'BatchLease', 'SendResult', 'Suppression'];
const COLLECTIONS = ['sendlog', 'payloads', 'send_batches', 'batch_recipients', 'batch_leases', 'send_results', 'suppressions'];

const RULES: Array<{ what: string; pattern: RegExp }> = [
  { what: 'uses a ledger model', pattern: new RegExp(`\\bmodels\\.(${MODELS.join('|')})\\b`) },
  { what: 'destructures a ledger model from the store', pattern: new RegExp(`\\{[^}]*\\b(${MODELS.join('|')})\\b[^}]*\\}\\s*=\\s*[\\w.]*models\\b`) },
  { what: 'opens a ledger collection by name', pattern: new RegExp(`collection(<[^>]*>)?\\(\\s*['"\`](${COLLECTIONS.join('|')})['"\`]`) },
  { what: 'reaches into the ledger\'s models', pattern: /ledger\/models(\.ts)?['"]|\bledgerModels\s*\(/ },
];

/** Every `file:line: what` in `source` that breaks ownership of the ledger's collections. */
export function ownershipViolations(file: string, source: string): string[] {
  const out: string[] = [];
  source.split('\n').forEach((line, i) => {
    for (const rule of RULES) if (rule.pattern.test(line)) out.push(`${file}:${i + 1}: ${rule.what}: ${line.trim()}`);
  });
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return path === LEDGER_DIR ? [] : sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(e.name) ? [path] : [];
  });
}

describe('the send ledger owns its collections', () => {
  it('no engine or benchmark file outside engine/ledger/ touches send logs, payloads, batches, leases, results or suppressions', () => {
    const files = [...sourceFiles(join(ROOT_DIR, 'engine')), ...sourceFiles(join(ROOT_DIR, 'bench'))];
    expect(files.length).toBeGreaterThan(50);
    const violations = files.flatMap((f) => ownershipViolations(relative(ROOT_DIR, f), readFileSync(f, 'utf8')));
    expect(violations).toEqual([]);
  });

  it('the check catches each way round the ledger', () => {
    const offending = [
      'await store.models.SendLog.find({ campaign })',
      'const { SendResult, Member } = store.models;',
      "store.db.collection('send_batches').find({})",
      "db.collection<{ recipients: unknown[] }>(\"suppressions\")",
      "import { ledgerModels } from '../ledger/models.ts';",
    ];
    for (const line of offending) expect(ownershipViolations('x.ts', line), line).toHaveLength(1);
    expect(ownershipViolations('x.ts', "import { campaignSends } from '../ledger/index.ts';\nstore.models.Member.find({})")).toEqual([]);
  });
});
