// Each recipient's body is filled as pieces (shared template text and the recipient's values);
// joined, the pieces must be exactly what the whole template fills to, whitespace rules included.
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { compileSegmented, joinPieces } from '../../engine/render/segmented-fill.ts';
import { loadSample } from '../../engine/render/samples.ts';
import { member, renderer, sendRef } from './support.ts';

const hb = Handlebars.create();
hb.registerHelper('shout', (v: unknown) => String(v).toUpperCase());
hb.registerHelper('track', function (this: unknown, options: Handlebars.HelperOptions) {
  return new Handlebars.SafeString(`https://t.example/c?u=${encodeURIComponent(options.fn(this))}`);
});

function both(source: string, kind: 'html' | 'text', context: Record<string, unknown>) {
  const options = { strict: true, noEscape: kind === 'text' };
  const whole = (hb.compile(source, options) as (c: unknown) => string)(context);
  const pieces = compileSegmented(hb, hb.parse(source), options)(context, { data: {} });
  return { whole, pieces, joined: joinPieces(pieces) };
}

const context = {
  member: { firstName: 'Zoë <b>&', id: 'm1', count: 3, attributes: { tier: 'gold' } },
  _u: { c0: 'https://t.example/c/rt.a?x=1&y=2', o: 'https://t.example/o/rt' },
  _subject: 'Issue <1>',
  flag: true,
  off: false,
  items: ['a', 'b'],
};

const SOURCES = [
  '<p>Hi {{member.firstName}},</p><a href="{{{_u.c0}}}">read</a>{{{_u.o}}}',
  '{{member.firstName}}{{{_u.c0}}}{{member.count}}',
  'line one\n  {{#if flag}}\n  shown\n  {{/if}}\nafter\n',
  'text {{#if flag}}\n inline{{/if}} more\n{{#unless off}}\n  standalone\n{{/unless}}\n',
  '  {{~member.firstName~}}  \n\n {{~#if flag~}} tight {{~/if~}}  end',
  'escaped \\{{member.firstName}} and {{!-- a comment --}}kept{{! short }}\n',
  '{{#each items}}\n- {{this}}\n{{/each}}\ndone',
  '<a href="{{#track}}https://x.example/?m={{member.id}}{{/track}}">x</a>{{shout member.attributes.tier}}',
  '{{#with member}}{{firstName}}{{/with}} {{member.attributes.tier}}',
  '<title>{{_subject}}</title>{{shout _subject}}{{#if flag}}{{_subject}}{{/if}}{{shout}}',
  '',
  'no expressions at all\n',
];

describe('a body filled as pieces', () => {
  for (const kind of ['html', 'text'] as const) {
    it(`joins to exactly the whole template's fill (${kind}), whitespace control and standalone blocks included`, () => {
      for (const source of SOURCES) {
        const { whole, joined } = both(source, kind, context);
        expect(joined, JSON.stringify(source)).toBe(whole);
      }
    });
  }

  it('fills a member value that contains the mark between groups exactly too', () => {
    const marked = { ...context, member: { ...context.member, firstName: 'a\u0000\uE07Fgroup\uE07F\u0000b' } };
    for (const source of ['{{#if flag}}{{member.firstName}}{{/if}} x {{shout member.firstName}} y {{#if flag}}z{{/if}}', SOURCES[0]!]) {
      for (const kind of ['html', 'text'] as const) {
        const { whole, joined } = both(source, kind, marked);
        expect(joined).toBe(whole);
      }
    }
  });

  it('keeps strict mode: a member field the member does not have is still an error', () => {
    expect(() => both('Hi {{member.nickname}}', 'html', context)).toThrow(/nickname/);
  });

  it('gives every recipient the same shared text objects, and only their own values as strings', async () => {
    const s = loadSample('templates', 'newsletter');
    const compiled = await renderer().prepare('newsletter', { data: s.data, subject: s.subject, preheader: s.preheader }, 'en');
    const a = compiled.fill(member({ firstName: 'Ada' }), sendRef('65f1a2b3c4d5e6f708192a01'));
    const b = compiled.fill(member({ firstName: 'Grace' }), sendRef('65f1a2b3c4d5e6f708192a02'));
    const sharedA = a.htmlPieces.filter((p) => typeof p !== 'string');
    const sharedB = b.htmlPieces.filter((p) => typeof p !== 'string');
    expect(sharedA.length).toBeGreaterThan(5);
    expect(sharedB).toEqual(sharedA);
    sharedA.forEach((p, i) => expect(sharedB[i]).toBe(p));
    const own = b.htmlPieces.filter((p): p is string => typeof p === 'string').join('');
    expect(own).toContain('Grace');
    expect(own).toContain(b.recipientToken);
    // the shared text holds no recipient's values
    expect(sharedA.map((p) => p.text).join('')).not.toContain(a.recipientToken);
    expect(b.html).toBe(joinPieces(b.htmlPieces));
    expect(b.text).toBe(joinPieces(b.textPieces));
    expect(b.html.length).toBeGreaterThan(own.length * 4);
  });
});
