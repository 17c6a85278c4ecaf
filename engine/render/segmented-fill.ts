// A compiled body (HTML or text) is the same for every recipient of a step except for its
// second-pass expressions. The template is cut at its top level into the text between them,
// kept as shared objects (the same instances for every recipient, so delivery can encode each
// once), and the expressions, filled per recipient. No recipient's whole body is ever built
// as one string unless something asks for it (a preview, another transport).
import type Handlebars from 'handlebars';
import type { BodyPieces, SharedText } from './types.ts';

type Statement = hbs.AST.Statement;
type Fill = (context: Record<string, unknown>, options: { data: unknown }) => string;
type Step = SharedText | Fill;

/** Per-recipient pieces: shared text and the recipient's own strings, in order. */
export type PieceFiller = (context: Record<string, unknown>, options: { data: unknown }) => BodyPieces;

// Stands at both ends of a group of expressions compiled on its own, so Handlebars' whitespace
// rules (applied again when the group compiles) never take a block at the group's edge for a
// "standalone" line: the full template already had them applied, with its real neighbours.
function edge(loc: hbs.AST.SourceLocation): hbs.AST.ContentStatement {
  return { type: 'ContentStatement', value: '', original: 'x', loc } as unknown as hbs.AST.ContentStatement;
}

/** A lookup like `{{{_u.c3}}}` or `{{member.firstName}}`: read directly, without a Handlebars call. */
function directLookup(s: Statement, escape: (v: string) => string, escaping: boolean, general: () => Fill): Fill | undefined {
  if (s.type !== 'MustacheStatement') return undefined;
  const m = s as hbs.AST.MustacheStatement;
  if (m.params.length || m.hash || m.path.type !== 'PathExpression') return undefined;
  const p = m.path as hbs.AST.PathExpression;
  // one-part names may be helpers; `this`, `..` and `@data` are left to Handlebars
  if (p.data || p.depth !== 0 || p.parts.length !== 2 || /^(this|\.)/.test(p.original)) return undefined;
  const [outer, inner] = p.parts as [string, string];
  const own = Object.prototype.hasOwnProperty;
  let viaHandlebars: Fill | undefined;
  return (context, options) => {
    const holder = own.call(context, outer) ? context[outer] : undefined;
    const value = holder !== null && typeof holder === 'object' && own.call(holder, inner) ? (holder as Record<string, unknown>)[inner] : undefined;
    if (typeof value === 'string') return m.escaped && escaping ? escape(value) : value;
    if (typeof value === 'number') return String(value);
    // absent (strict mode's error), functions, objects: exactly as Handlebars does it
    viaHandlebars ??= general();
    return viaHandlebars(context, options);
  };
}

/**
 * Cut a parsed second-pass template into shared text and per-recipient expressions. Filling it
 * and joining the pieces gives exactly what the whole template fills to (test/render/segmented-fill.test.ts).
 */
export function compileSegmented(hb: typeof Handlebars, ast: hbs.AST.Program, options: { strict: boolean; noEscape: boolean }): PieceFiller {
  const compileGroup = (statements: Statement[]): Fill => hb.compile(
    { type: 'Program', body: [edge(ast.loc), ...statements, edge(ast.loc)], strip: {}, loc: ast.loc } as unknown as hbs.AST.Program,
    options,
  ) as unknown as Fill;
  const steps: Step[] = [];
  let group: Statement[] = [];
  const flush = () => {
    if (group.some((s) => s.type !== 'CommentStatement')) {
      const statements = group;
      steps.push((statements.length === 1 && directLookup(statements[0]!, hb.escapeExpression, !options.noEscape, () => compileGroup(statements)))
        || compileGroup(statements));
    }
    group = [];
  };
  for (const s of ast.body) {
    if (s.type !== 'ContentStatement') { group.push(s); continue; }
    flush();
    const text = (s as hbs.AST.ContentStatement).value;
    if (!text) continue;
    const last = steps[steps.length - 1];
    if (last !== undefined && typeof last !== 'function') steps[steps.length - 1] = { text: last.text + text };
    else steps.push({ text });
  }
  flush();

  return (context, fillOptions) => {
    const pieces: (string | SharedText)[] = [];
    let own = '';
    for (const step of steps) {
      if (typeof step === 'function') { own += step(context, fillOptions); continue; }
      if (own) { pieces.push(own); own = ''; }
      pieces.push(step);
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
