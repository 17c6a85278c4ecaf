// Kind-specific behaviour lives in engine/campaigns/kinds/ only: a branch on a campaign kind
// anywhere else in the engine (`case 'drip':`, `kind === 'event'`) fails this test.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kindNames } from '../../engine/campaigns/index.ts';
import { ROOT_DIR } from '../../engine/store/index.ts';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** `case 'drip'`, `=== 'event'`, `'renewal' !==`: a comparison with a registered kind's name. */
function kindBranch(): RegExp {
  const names = kindNames().map((k) => k.replace(/[-]/g, '\\-')).join('|');
  return new RegExp(`(case\\s+|[!=]==\\s*)['"\`](${names})['"\`]|['"\`](${names})['"\`]\\s*[!=]==`);
}

describe('one module per campaign kind', () => {
  it('no engine file outside engine/campaigns/kinds/ branches on a campaign kind', () => {
    const branch = kindBranch();
    const kindsDir = join(ROOT_DIR, 'engine', 'campaigns', 'kinds');
    const found = sources(join(ROOT_DIR, 'engine'))
      .filter((file) => !file.startsWith(kindsDir))
      .flatMap((file) => readFileSync(file, 'utf8').split('\n').map((line, i) => ({ file, line, at: i + 1 })))
      .filter(({ line }) => branch.test(line))
      .map(({ file, at, line }) => `${relative(ROOT_DIR, file)}:${at}: ${line.trim()}`);
    expect(found).toEqual([]);
  });

  it('the check finds such a branch', () => {
    const branch = kindBranch();
    expect(branch.test("    case 'drip':")).toBe(true);
    expect(branch.test("if (def.kind === 'case-study') {")).toBe(true);
    expect(branch.test("if ('newsletter' !== kind) return;")).toBe(true);
    expect(branch.test("noEscape: kind === 'text'")).toBe(false);
  });
});
