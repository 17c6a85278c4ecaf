// The import graph of engine/, folded into stages (one folder = one stage; top-level files such
// as config.ts are base modules), for the architecture test and for reading at a glance.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export interface ImportEdge {
  /** importing file, relative to the project root */
  from: string;
  /** imported file, relative to the project root */
  to: string;
  fromStage: string;
  toStage: string;
  typeOnly: boolean;
  line: number;
}

// `import x from '…'`, `import type { A } from '…'`, `export { b } from '…'`, `import '…'`, over
// several lines too; and `import('…')` anywhere.
const STATIC = /^[ \t]*(?:import|export)\s+(type\s+)?(?:([^;'"]*?)\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;
const DYNAMIC = /import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** `{ type A, type B }`: every named import is a type. */
function onlyTypeNames(clause: string | undefined): boolean {
  const names = clause && /^\{([^}]*)\}$/.exec(clause.trim())?.[1];
  if (!names) return false;
  const list = names.split(',').map((n) => n.trim()).filter(Boolean);
  return list.length > 0 && list.every((n) => n.startsWith('type '));
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** `engine/delivery/sender.ts` -> `delivery`; `engine/config.ts` -> `config`. */
export function stageOf(engineDir: string, file: string): string {
  const rel = relative(engineDir, file).split(sep);
  return rel.length > 1 ? rel[0]! : rel[0]!.replace(/\.ts$/, '');
}

/** Every relative import between files under `engineDir` (static, re-exports and dynamic). */
export function engineImports(root: string): ImportEdge[] {
  const engineDir = join(root, 'engine');
  const edges: ImportEdge[] = [];
  for (const file of tsFiles(engineDir)) {
    const text = readFileSync(file, 'utf8');
    const lineAt = (index: number) => text.slice(0, index).split('\n').length;
    const found: Array<{ spec: string; typeOnly: boolean; line: number }> = [];
    for (const m of text.matchAll(STATIC)) found.push({ spec: m[3]!, typeOnly: m[1] !== undefined || onlyTypeNames(m[2]), line: lineAt(m.index!) });
    for (const m of text.matchAll(DYNAMIC)) found.push({ spec: m[1]!, typeOnly: false, line: lineAt(m.index!) });
    for (const { spec, typeOnly, line } of found) {
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(engineDir + sep)) continue;
      edges.push({
        from: relative(root, file), to: relative(root, target),
        fromStage: stageOf(engineDir, file), toStage: stageOf(engineDir, target),
        typeOnly, line,
      });
    }
  }
  return edges;
}

/** Cycles between stages (each as the list of stages around it), from the stage-level graph. */
export function stageCycles(edges: ImportEdge[]): string[][] {
  const graph = new Map<string, Set<string>>();
  for (const e of edges) {
    if (e.fromStage === e.toStage) continue;
    if (!graph.has(e.fromStage)) graph.set(e.fromStage, new Set());
    graph.get(e.fromStage)!.add(e.toStage);
  }
  // Tarjan's strongly connected components: any component of two or more stages is a cycle.
  let index = 0;
  const stack: string[] = [];
  const onStack = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); component.push(w); } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}
