import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../engine/errors.ts';
import { loadSample } from '../../engine/render/samples.ts';
import { member, renderer, sendRef, templatesFolder } from './support.ts';

const doc = (body: string) => `<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
${body}
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
`;

describe('template validation', () => {
  const r = renderer();

  it('names the template, file, line and variable when the campaign data lacks a variable', async () => {
    const s = loadSample('templates', 'newsletter');
    const { intro: _, ...data } = s.data;
    const issues = await r.check('newsletter', { ...s, data });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ subject: 'newsletter', file: 'templates/newsletter.mjml', line: 12, path: 'intro' });
    expect(issues[0]!.message).toContain('"intro"');
  });

  it('blames the partial when a variable inside it is missing', async () => {
    const s = loadSample('templates', 'newsletter');
    const items = (s.data.items as Array<Record<string, unknown>>).map(({ summary: _, ...it }) => it);
    const issues = await r.check('newsletter', { ...s, data: { ...s.data, items } });
    expect(issues[0]).toMatchObject({ subject: 'newsletter', file: 'templates/partials/content-card.mjml', path: 'summary' });
    expect(issues[0]!.line).toBe(16);
  });

  it('an image without alt text fails validation', async () => {
    const s = loadSample('templates', 'newsletter');
    const items = (s.data.items as Array<Record<string, unknown>>).map((it) => ({ ...it, imageAlt: '' }));
    const issues = await r.check('newsletter', { ...s, data: { ...s.data, items } });
    expect(issues[0]).toMatchObject({ file: 'templates/partials/content-card.mjml', line: 5, message: expect.stringContaining('alt') });
  });

  it('names a variable in the subject line that the data cannot provide', async () => {
    const s = loadSample('templates', 'newsletter');
    const issues = await r.check('newsletter', { ...s, subject: 'Issue {{issue.numbr}}' });
    expect(issues).toEqual([expect.objectContaining({ subject: 'newsletter subject', path: 'issue.numbr' })]);
  });

  it('rejects member fields that do not exist, and says which do', async () => {
    const dir = templatesFolder({ 'hello.mjml': doc('        <mj-text>Hi {{member.nickname}}</mj-text>') });
    const issues = await renderer(dir).check('hello', { data: {}, subject: 'x' });
    expect(issues[0]).toMatchObject({ subject: 'hello', line: 5, path: 'member.nickname' });
    expect(issues[0]!.message).toMatch(/not a member field.*firstName/);
  });

  it('reports MJML errors at the file and line that wrote the tag, through loops and partials', async () => {
    const dir = templatesFolder({
      'broken.mjml': doc('        {{#each items}}\n        <mj-text>{{this}}</mj-text>\n        {{/each}}\n        {{> partials/bad}}'),
      'partials/bad.mjml': '{{!-- a partial --}}\n<mj-txt>typo</mj-txt>\n<mj-button hreff="https://x.example">Go</mj-button>\n',
    });
    const issues = await renderer(dir).check('broken', { data: { items: ['a', 'b'] }, subject: 'x' });
    const where = issues.map((i) => `${i.file?.replace(/^.*flywheel-templates-[^/]+\//, '')}:${i.line}`);
    expect(where).toEqual(expect.arrayContaining(['partials/bad.mjml:2', 'partials/bad.mjml:3']));
    expect(issues.find((i) => i.line === 2)!.message).toContain('mj-txt');
    expect(issues.find((i) => i.line === 3)!.message).toContain('hreff');
  });

  it('reports Handlebars syntax errors with file and line', async () => {
    const dir = templatesFolder({ 'oops.mjml': doc('        <mj-text>{{#if x}}open</mj-text>') });
    const issues = await renderer(dir).check('oops', { data: { x: 1 }, subject: 'x' });
    expect(issues[0]).toMatchObject({ subject: 'oops', file: expect.stringMatching(/oops\.mjml$/) });
    expect(issues[0]!.message).toMatch(/syntax|Parse/i);
  });

  it('an unknown template is an issue naming the available ones', async () => {
    const issues = await r.check('newsleter', { data: {}, subject: 'x' });
    expect(issues[0]!.message).toMatch(/unknown template "newsleter".*newsletter/);
  });

  it('rendering a broken template fails with TEMPLATE_INVALID instead of sending a blank', async () => {
    const s = loadSample('templates', 'newsletter');
    const { intro: _, ...data } = s.data;
    const err = await r.render({ template: 'newsletter', subject: s.subject, data, member: member(), send: sendRef('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).code).toBe('TEMPLATE_INVALID');
    expect((err as InvalidInputError).message).toContain('templates/newsletter.mjml:12');
  });

  it('every shipped template passes validation with its sample data', async () => {
    for (const t of r.templates()) expect(await r.check(t, loadSample('templates', t))).toEqual([]);
  });
});
