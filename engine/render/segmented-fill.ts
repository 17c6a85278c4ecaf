// A compiled body (HTML or text) is the same for every recipient of a step except for its
// second-pass expressions. The template is cut at its top level into the text between them,
// kept as shared objects (the same instances for every recipient, so delivery can encode each
// once), and the expressions, filled per recipient. No recipient's whole body is ever built
// as one string unless something asks for it (a preview, another transport).
import type Handlebars from 'handlebars';
import type { BodyPieces, SharedText } from './types.ts';

type Statement = hbs.AST.Statement;
type Fill = (context: Record<string, unknown>, options: { data: unknown }) => string;

/** Per-recipient pieces: shared text and the recipient's own strings, in order. */
export type PieceFiller = (context: Record<string, unknown>, options: { data: unknown }) => BodyPieces;

// Stands at both ends of a group of expressions compiled on its own, so Handlebars' whitespace
// rules (applied again when the group compiles) never take a block at the group's edge for a
// "standalone" line: the full template already had them applied, with its real neighbours.
function edge(loc: hbs.AST.SourceLocation): hbs.AST.ContentStatement {
  return contentStatement('', loc);
}

/** A lookup like `{{{_u.c3}}}`, `{{member.firstName}}` or `{{_subject}}`: read directly, without a Handlebars call. */
function directLookup(hb: typeof Handlebars, s: Statement, escaping: boolean, general: () => Fill): Fill | undefined {
  if (s.type !== 'MustacheStatement') return undefined;
  const m = s as hbs.AST.MustacheStatement;
  if (m.params.length || m.hash || m.path.type !== 'PathExpression') return undefined;
  const p = m.path as hbs.AST.PathExpression;
  // `this`, `..` and `@data` are left to Handlebars, and so is a one-part name that is a helper's
  if (p.data || p.depth !== 0 || p.parts.length < 1 || p.parts.length > 2 || /^(this|\.)/.test(p.original)) return undefined;
  const [outer, inner] = p.parts as [string, string | undefined];
  const own = Object.prototype.hasOwnProperty;
  if (inner === undefined && own.call(hb.helpers, outer)) return undefined;
  const escape = m.escaped && escaping ? hb.escapeExpression : undefined;
  let viaHandlebars: Fill | undefined;
  return (context, options) => {
    let value: unknown = own.call(context, outer) ? context[outer] : undefined;
    if (inner !== undefined) value = value !== null && typeof value === 'object' && own.call(value, inner) ? (value as Record<string, unknown>)[inner] : undefined;
    if (typeof value === 'string') return escape ? escape(value) : value;
    if (typeof value === 'number') return String(value);
    // absent (strict mode's error), functions, objects: exactly as Handlebars does it
    viaHandlebars ??= general();
    return viaHandlebars(context, options);
  };
}

// Separates the groups' outputs in the one Handlebars call that fills them all. A value that
// happens to contain it is caught by the count, and then each group is filled on its own.
const GROUP_MARK = '\u0000\uE07Fgroup\uE07F\u0000';

function contentStatement(value: string, loc: hbs.AST.SourceLocation): hbs.AST.ContentStatement {
  // a non-blank `original`: to the whitespace rules it is a neighbour, never a standalone line
  return { type: 'ContentStatement', value, original: 'x', loc } as unknown as hbs.AST.ContentStatement;
}

/**
 * Cut a parsed second-pass template into shared text and per-recipient expressions. Filling it
 * and joining the pieces gives exactly what the whole template fills to (test/render/segmented-fill.test.ts).
 * Plain lookups are read directly; every other group of expressions is filled by one Handlebars
 * call per body (each call has a fixed cost), its groups' outputs separated by a mark.
 */
export function compileSegmented(hb: typeof Handlebars, ast: hbs.AST.Program, options: { strict: boolean; noEscape: boolean }): PieceFiller {
  const compileProgram = (body: Statement[]): Fill => hb.compile(
    { type: 'Program', body, strip: {}, loc: ast.loc } as unknown as hbs.AST.Program,
    options,
  ) as unknown as Fill;
  const compileGroup = (statements: Statement[]): Fill => compileProgram([edge(ast.loc), ...statements, edge(ast.loc)]);
  /** a shared text, a direct lookup, or the index of a group filled by the combined call */
  const steps: (SharedText | Fill | number)[] = [];
  const groups: Statement[][] = [];
  let group: Statement[] = [];
  const flush = () => {
    if (group.some((s) => s.type !== 'CommentStatement')) {
      const statements = group;
      const direct = statements.length === 1 ? directLookup(hb, statements[0]!, !options.noEscape, () => compileGroup(statements)) : undefined;
      steps.push(direct ?? groups.push(statements) - 1);
    }
    group = [];
  };
  for (const s of ast.body) {
    if (s.type !== 'ContentStatement') { group.push(s); continue; }
    flush();
    const text = (s as hbs.AST.ContentStatement).value;
    if (!text) continue;
    const last = steps[steps.length - 1];
    if (last !== undefined && typeof last === 'object') steps[steps.length - 1] = { text: last.text + text };
    else steps.push({ text });
  }
  flush();

  const combined = groups.length ? compileProgram(groups.flatMap((g, i) => [contentStatement(i ? GROUP_MARK : '', ast.loc), ...g]).concat(edge(ast.loc))) : undefined;
  let oneByOne: Fill[] | undefined;
  const fillGroups = (context: Record<string, unknown>, fillOptions: { data: unknown }): string[] => {
    if (!combined) return [];
    const outputs = combined(context, fillOptions).split(GROUP_MARK);
    if (outputs.length === groups.length) return outputs;
    oneByOne ??= groups.map(compileGroup);
    return oneByOne.map((f) => f(context, fillOptions));
  };

  return (context, fillOptions) => {
    const filled = fillGroups(context, fillOptions);
    const pieces: (string | SharedText)[] = [];
    let own = '';
    for (const step of steps) {
      if (typeof step === 'object') {
        if (own) { pieces.push(own); own = ''; }
        pieces.push(step);
      } else {
        own += typeof step === 'number' ? filled[step]! : step(context, fillOptions);
      }
    }
    if (own) pieces.push(own);
    return pieces;
  };
}

/** The pieces as one string (previews, transports that take the whole body). */
export function joinPieces(pieces: BodyPieces): string {
  let s = '';
  for (const p of pieces) s += typeof p === 'string' ? p : p.text;
  return s;
}
