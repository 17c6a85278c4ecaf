// Markdown items under content/: what a program manager writes in a pull request becomes a
// stored item, and a mistake is reported with the file, the line and the field.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLocalItems, parseLocalItem } from '../../engine/content/index.ts';
import { ROOT_DIR } from '../../engine/store/index.ts';

const md = (front: string, body = 'Body text.') => `---\n${front}\n---\n\n${body}\n`;

describe('Markdown content items', () => {
  it('front matter and body become a normalised item; the summary defaults to the first paragraph', () => {
    const { item, issues } = parseLocalItem(md(
      'title: How Acme halved build times\nlink: https://flywheel.example/customers/acme?utm_source=x\npublished: 2026-05-01\nkind: case-study\ntags: [CI]\nprograms: [startups]',
      'Acme moved to **remote caching**.\n\n<script>alert(1)</script>\n\nSecond paragraph.',
    ), 'content/acme.md');
    expect(issues).toEqual([]);
    expect(item).toMatchObject({
      guid: 'https://flywheel.example/customers/acme', url: 'https://flywheel.example/customers/acme', title: 'How Acme halved build times',
      summary: 'Acme moved to remote caching.', tags: ['case-study', 'ci'], programs: ['startups'], kind: 'case-study', publishedAt: new Date('2026-05-01T00:00:00Z'),
    });
    expect(item!.html).toContain('<strong>remote caching</strong>');
    expect(item!.html).not.toContain('<script');
  });

  it('each mistake names the file, the line and the field', () => {
    const { issues } = parseLocalItem(md('title: Fine\nlink: not a url\npublished: someday\nprograms: [students]\nauthor: me'), 'content/bad.md', ['education', 'startups']);
    expect(issues.map((i) => `${i.file}:${i.line} ${i.path}: ${i.message}`).sort()).toEqual([
      'content/bad.md:3 link: must be an absolute http(s) URL',
      'content/bad.md:4 published: must be a date such as 2026-03-01 or 2026-03-01T09:00:00Z',
      'content/bad.md:5 programs.0: unknown program "students" (declared in campaigns/programs.ts: education, startups)',
      'content/bad.md:6 author: unknown field(s) author (known: title, link, published, summary, tags, programs, image, imageAlt, kind, guid)',
    ].sort());
  });

  it('broken YAML and a missing front matter block are reported with their line', () => {
    expect(parseLocalItem('---\ntitle: x\nlink: [oops\n---\nbody', 'content/yaml.md').issues[0]).toMatchObject({ file: 'content/yaml.md', line: 4 });
    expect(parseLocalItem('# Just a heading\n', 'content/plain.md').issues[0]).toMatchObject({ line: 1, message: expect.stringContaining('front matter') });
  });

  it('the sample items in this repository are valid, and two files with one link are refused', () => {
    expect(loadLocalItems(join(ROOT_DIR, 'content'), ROOT_DIR).issues).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), 'flywheel-content-'));
    mkdirSync(join(dir, 'stories'));
    writeFileSync(join(dir, 'a.md'), md('title: A\nlink: https://x.example/same\npublished: 2026-01-01'));
    writeFileSync(join(dir, 'stories', 'b.md'), md('title: B\nlink: https://x.example/same#top\npublished: 2026-01-02'));
    const { items, issues } = loadLocalItems(dir, dir);
    expect(items.map((i) => i.file)).toEqual(['a.md']);
    expect(issues).toEqual([{ file: 'stories/b.md', line: 3, path: 'link', message: 'same item as a.md (same guid or link)' }]);
  });
});
