// Turns Handlebars and MJML failures into InputIssues that name the template,
// the file and line, and the variable, so `flywheel validate` can say exactly
// what to fix.
import Handlebars from 'handlebars';
import type { InputIssue } from '../errors.ts';
import { OPTIONAL_MEMBER_FIELDS, MEMBER_FIELDS } from './shared-pass.ts';
import type { SourceFile } from './sources.ts';

/** Set on an error by the innermost template/partial wrapper it passed through. */
export const ERROR_SOURCE = Symbol('flywheel.render.source');

export function tagErrorSource(err: unknown, source: SourceFile): unknown {
  if (err && typeof err === 'object' && !(ERROR_SOURCE in err)) {
    (err as Record<symbol, unknown>)[ERROR_SOURCE] = source;
  }
  return err;
}

interface PathAt { original: string; line: number; column: number }

function pathsIn(source: string): PathAt[] {
  let ast: hbs.AST.Program;
  try {
    ast = Handlebars.parse(source);
  } catch {
    return [];
  }
  const found: PathAt[] = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) { node.forEach(walk); return; }
    const n = node as { type?: string; original?: string; loc?: hbs.AST.SourceLocation };
    if (n.type === 'PathExpression' && n.loc && typeof n.original === 'string') {
      found.push({ original: n.original, line: n.loc.start.line, column: n.loc.start.column });
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'loc') walk(v);
  };
  walk(ast);
  return found;
}

/**
 * `subject` names what the user wrote (template name, or "<template> subject");
 * `fallback` is the file to blame when the error did not pass through a wrapper.
 */
export function issueFromTemplateError(err: unknown, subject: string, fallback?: SourceFile): InputIssue {
  const e = err as { message?: string; lineNumber?: number; column?: number } & Record<symbol, unknown>;
  const source = (e?.[ERROR_SOURCE] as SourceFile | undefined) ?? fallback;
  const file = source?.file || undefined;
  const message = String(e?.message ?? err);

  const parse = /^Parse error on line (\d+):\n([\s\S]*)$/.exec(message);
  if (parse) {
    return { file, line: Number(parse[1]), subject, message: `Handlebars syntax error:\n${parse[2]}` };
  }

  // strict mode: `"venue" not defined in [object Object] - 4:17`
  const strict = /^"([^"]+)" not defined in/.exec(message);
  if (strict && typeof e.lineNumber === 'number') {
    const at = source ? pathsIn(source.marked).find((p) => p.line === e.lineNumber && p.column === e.column) : undefined;
    const variable = at?.original ?? strict[1]!;
    return { file, line: e.lineNumber, subject, path: variable, message: describeMissing(variable) };
  }

  // a lookup through a missing parent: `Cannot read properties of undefined (reading 'x')`
  const through = /Cannot read properties of (?:undefined|null) \(reading '([^']+)'\)/.exec(message);
  if (through) {
    const name = through[1]!;
    const at = source ? pathsIn(source.marked).find((p) => p.original.split(/[./]/).slice(1).includes(name)) : undefined;
    const variable = at?.original ?? name;
    return { file, line: at?.line, subject, path: variable, message: describeMissing(variable) };
  }

  return { file, line: typeof e.lineNumber === 'number' ? e.lineNumber : undefined, subject, message: message.replace(/ - \d+:\d+$/, '') };
}

function describeMissing(variable: string): string {
  const member = /^(?:\.\.\/)*member\.([^.]+)/.exec(variable);
  if (member) {
    const field = member[1]!;
    if (!(MEMBER_FIELDS as readonly string[]).includes(field) && field !== 'attributes') {
      return `"${variable}" is not a member field (members have: ${[...MEMBER_FIELDS, 'attributes.<name>'].join(', ')})`;
    }
    if (OPTIONAL_MEMBER_FIELDS.has(field)) {
      return `"${variable}" is optional; use {{default ${variable} "..."}} or {{#if ${variable}}}`;
    }
  }
  return `uses "${variable}", which the campaign data does not provide`;
}

/** MJML validator output -> issues in the file and line that wrote the tag. */
export function issuesFromMjml(
  errors: ReadonlyArray<{ line: number; message: string; tagName: string }>,
  subject: string,
  origin: (line: number) => { file: string; line: number } | undefined,
): InputIssue[] {
  return errors.map((err) => {
    const at = origin(err.line);
    return { file: at?.file, line: at?.line, subject, message: `MJML <${err.tagName}>: ${err.message}` };
  });
}
