// The plain-text part, derived once per compiled template from the compiled
// HTML (second-pass expressions still in place), then filled per recipient.
// Expressions are swapped for opaque tokens while html-to-text works, so word
// wrapping, heading case and entity decoding cannot damage them.
import { compile as compileHtmlToText } from 'html-to-text';

const toText = compileHtmlToText({
  wordwrap: 78,
  selectors: [
    { selector: 'a', options: { linkBrackets: ['[', ']'], hideLinkHrefIfSameAsText: true } },
    { selector: 'img', format: 'skip' },
    { selector: '.preheader', format: 'skip' },
    // MJML lays out with tables; in text they are just blocks
    { selector: 'table', format: 'block', options: { leadingLineBreaks: 0, trailingLineBreaks: 0 } },
    { selector: 'tr', format: 'block', options: { leadingLineBreaks: 0, trailingLineBreaks: 0 } },
    { selector: 'td', format: 'block', options: { leadingLineBreaks: 0, trailingLineBreaks: 0 } },
    { selector: 'h1', options: { uppercase: false, leadingLineBreaks: 2, trailingLineBreaks: 2 } },
    { selector: 'h2', options: { uppercase: false, leadingLineBreaks: 2, trailingLineBreaks: 1 } },
    { selector: 'h3', options: { uppercase: false, leadingLineBreaks: 2, trailingLineBreaks: 1 } },
    { selector: 'h4', options: { uppercase: false } },
  ],
});

const EXPRESSION = /\{\{[\s\S]*?\}\}\}?/g;
const TOKEN = /\uE000(\d+)\uE001/g;

/** HTML with second-pass expressions -> text with the same expressions. */
export function deriveTextSource(html: string): string {
  const saved: string[] = [];
  const protectedHtml = html.replace(EXPRESSION, (expr) => `\uE000${saved.push(expr) - 1}\uE001`);
  const text = toText(protectedHtml);
  return text
    .replace(TOKEN, (_m, i: string) => saved[Number(i)] ?? '')
    .replace(/\n{3,}/g, '\n\n')
    .trim() + '\n';
}
