// The pre-encoded bodies must decode to exactly what was rendered, whatever it contains.
import { describe, expect, it } from 'vitest';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { simpleParser } from 'mailparser';
import { QuotedPrintableCache } from '../../engine/delivery/qp-cache.ts';

async function roundTrip(cache: QuotedPrintableCache, html: string, text: string) {
  const raw: Buffer = await new Promise((resolve, reject) =>
    new MailComposer({
      from: 'a@example.org', to: 'b@example.org', subject: 's',
      html: { raw: cache.part('text/html', html) } as never,
      text: { raw: cache.part('text/plain', text) } as never,
    }).compile().build((e: Error | null, m: Buffer) => (e ? reject(e) : resolve(m))));
  const parsed = await simpleParser(raw);
  return { raw: raw.toString('latin1'), html: parsed.html, text: parsed.text };
}

describe('quoted-printable bodies encoded once per line', () => {
  it('decode to the original HTML and text, including non-ASCII, "=", trailing spaces and long lines', async () => {
    const cache = new QuotedPrintableCache();
    const long = `<p>${'x'.repeat(300)} = ${'é'.repeat(50)}</p>`;
    const html = `<html>\n<body>\n<h1>Café → ✓ 日本語</h1>\n${long}\n<p>trailing space </p> \n<a href="https://e.example/?a=1&b=2">x</a>\n</body>\n</html>`;
    const text = 'Hi Zoë,\r\nline with tab\t\r\n= at start\r\nhttps://e.example/c/abc.def/ghi?u=https%3A%2F%2Fe.example';
    const out = await roundTrip(cache, html, text);
    expect(out.html).toBe(html);
    expect(out.text).toBe(text.replace(/\r\n/g, '\n'));
    // RFC 2045: no encoded line longer than 76 characters
    const body = out.raw.split('\r\n\r\n').slice(1).join('\r\n\r\n');
    expect(Math.max(...body.split('\r\n').map((l) => l.length))).toBeLessThanOrEqual(76);
  });

  it('round-trips 300 random lines of ASCII, "=", spaces, tabs, accents and emoji', async () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const alphabet = ['a', 'Z', '0', '=', ' ', '\t', '.', '<', '>', '"', 'é', '→', '日', '😀', '=3D', '~'];
    const lines = Array.from({ length: 300 }, () => Array.from({ length: Math.floor(random() * 200) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
    const html = `<div>${lines.join('\n')}</div>`;
    const out = await roundTrip(new QuotedPrintableCache(), html, lines.join('\n'));
    expect(out.html).toBe(html);
    const body = out.raw.split('\r\n\r\n').slice(1).join('\r\n\r\n');
    expect(Math.max(...body.split('\r\n').map((l) => l.length))).toBeLessThanOrEqual(76);
  });

  it('reuses shared lines across recipients and encodes only the lines that differ', async () => {
    const cache = new QuotedPrintableCache();
    const page = (token: string) => `<p>shared line one</p>\n<a href="https://t.example/c/${token}">link</a>\n<p>shared line two</p>`;
    expect(cache.encode(page('aaa'))).toContain('shared line one');
    const second = cache.encode(page('bbb'));
    expect(second).toContain('c/bbb');
    expect((cache as unknown as { lines: Map<string, string> }).lines.size).toBe(4);
  });

  it('stays bounded: a full cache is emptied rather than growing', () => {
    const cache = new QuotedPrintableCache(10);
    for (let i = 0; i < 100; i++) cache.encode(`line ${i}`);
    expect((cache as unknown as { lines: Map<string, string> }).lines.size).toBeLessThanOrEqual(10);
  });
});
