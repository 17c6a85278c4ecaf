// The message the SMTP transport builds itself (quoted-printable in one pass, the body every
// recipient shares encoded once) must read, in a mail client, exactly like the one nodemailer
// composes from the same fields.
import { describe, expect, it } from 'vitest';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { simpleParser, type ParsedMail } from 'mailparser';
import { buildMessageChunks, buildRawMessage } from '../../engine/delivery/mime.ts';
import { pieceCacheBytes } from '../../engine/delivery/qp-segments.ts';
import { encodeQuotedPrintable } from '../../engine/delivery/quoted-printable.ts';
import type { OutgoingMessage } from '../../engine/delivery/index.ts';

function composedByNodemailer(m: OutgoingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    new MailComposer({
      messageId: `<${m.messageId}>`, from: { name: m.from.name ?? '', address: m.from.email }, to: { name: m.to.name ?? '', address: m.to.email },
      subject: m.subject, html: m.html, text: m.text, headers: m.headers,
    }).compile().build((e: Error | null, raw: Buffer) => (e ? reject(e) : resolve(raw))));
}

/** What a reader sees: addresses, subject, ids, both parts and every header but the per-build ones. */
function asRead(p: ParsedMail) {
  const headers = Object.fromEntries([...p.headers].filter(([k]) => !['date', 'content-type'].includes(k)).map(([k, v]) => [k, JSON.stringify(v)]));
  return { from: p.from?.value, to: (Array.isArray(p.to) ? p.to[0] : p.to)?.value, subject: p.subject, messageId: p.messageId, html: p.html, text: p.text, headers };
}

/** A body of every kind of line the encoder must survive: accents, emoji, "=", dots, trailing blanks, long minified lines. */
function awkwardBody(seed: number): string {
  let s = seed;
  const random = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const alphabet = ['a', 'Z', '0', '=', ' ', '\t', '.', '..', '<a href="https://t.example/c/x?a=1&b=2">', '"', 'é', '→', '日', '😀', '=3D', '~', '\n', '\r\n', '\n.', '\nFrom '];
  return Array.from({ length: 3000 }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
}

function message(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    messageId: '6650c0ffee0000000000beef.newsletter@flywheel.example',
    from: { email: 'devrel@flywheel.example', name: 'Flywheel DevRel' },
    to: { email: 'zoe@devs.example', name: 'Zoë Ångström, "the" maintainer' },
    subject: 'Issue 42: Café ✓ — what’s new in 日本語 docs and a subject long enough to be folded over several header lines',
    html: `<!doctype html><html><body><h1>Hello Zoë</h1>${'<p style="margin:0">minified section = one long line</p>'.repeat(400)}\n.<p>dot line</p> \n</body></html>`,
    text: 'Hi Zoë,\n\n.a line starting with a dot\nline with trailing space \nhttps://t.example/c/abc.def/ghi?u=https%3A%2F%2Fe.example',
    headers: {
      'List-Unsubscribe': `<https://flywheel.example/u/${'t'.repeat(180)}>, <mailto:unsubscribe@flywheel.example?subject=unsubscribe%20${'t'.repeat(180)}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'X-Flywheel-Campaign': 'newsletter',
      'X-Flywheel-Step': 'issue',
      'X-Flywheel-Send': '6650c0ffee0000000000beef',
    },
    tags: { sendLogId: '6650c0ffee0000000000beef', campaign: 'newsletter', step: 'issue' },
    ...overrides,
  };
}

describe('messages the SMTP transport builds itself', () => {
  it('read exactly like the nodemailer-composed message: addresses, subject, Message-ID, list headers, HTML and text', async () => {
    for (const m of [message(), message({ to: { email: 'plain@devs.example' }, subject: 'Plain ASCII', html: awkwardBody(1), text: awkwardBody(2) })]) {
      const ours = asRead(await simpleParser(buildRawMessage(m)));
      const theirs = asRead(await simpleParser(await composedByNodemailer(m)));
      expect(ours).toEqual(theirs);
      expect(ours.html).toBe(m.html.replace(/\r\n/g, '\n'));
      expect(JSON.parse(ours.headers.list!)).toMatchObject({ unsubscribe: { url: expect.stringContaining('flywheel.example/u/') }, 'unsubscribe-post': { name: 'List-Unsubscribe=One-Click' } });
    }
  });

  it('write each header line byte for byte as nodemailer does, for recipient after recipient of one step', async () => {
    const headerLines = (raw: Buffer) => raw.toString('latin1').split('\r\n\r\n')[0]!.split(/\r\n(?![ \t])/)
      .filter((l) => !/^(Date|Content-Type):/i.test(l));
    const recipients = [
      message(),
      message({ to: { email: 'plain@devs.example' }, messageId: 'a1@flywheel.example' }),
      message({ to: { email: 'bo@devs.example', name: 'Bo Ek' }, messageId: 'a2@flywheel.example', subject: 'Plain ASCII' }),
      message({ to: { email: 'zoe@devs.example', name: 'Zoë Ångström, "the" maintainer' }, messageId: 'a3@flywheel.example', headers: { ...message().headers, 'X-Flywheel-Send': 'other', 'x-custom-thing': 'Ünïcode value' } }),
      message({ messageId: 'a4@flywheel.example' }),
    ];
    for (const m of recipients) {
      const ours = headerLines(buildRawMessage(m));
      const theirs = headerLines(await composedByNodemailer(m));
      expect(ours.sort(), m.messageId).toEqual(theirs.sort());
    }
    // the Date header is the send's own time
    const at = new Date('2026-03-04T05:06:07Z');
    expect(buildRawMessage(message({ date: at })).toString('latin1')).toContain('\r\nDate: Wed, 04 Mar 2026 05:06:07 +0000\r\n');
  });

  it('keep every line within 76 characters, use CRLF only, and never start a line with "." (nothing for SMTP to dot-stuff)', () => {
    const raw = buildRawMessage(message({ html: awkwardBody(3), text: awkwardBody(4) })).toString('latin1');
    const lines = raw.split('\r\n');
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const body = raw.slice(raw.indexOf('\r\n\r\n') + 4).split('\r\n');
    expect(Math.max(...body.map((l) => l.length))).toBeLessThanOrEqual(76);
    expect(lines.filter((l) => l.startsWith('.'))).toEqual([]);
    expect(raw).toMatch(/^[\x00-\x7f]*$/);
  });

  it('quoted-printable decodes back to the exact text for 200 random bodies', async () => {
    for (let seed = 10; seed < 210; seed++) {
      const body = Array.from(awkwardBody(seed)).slice(0, 400 + seed * 7).join('');
      const raw = Buffer.from(`Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${encodeQuotedPrintable(body).toString('latin1')}`);
      const parsed = await simpleParser(raw);
      expect(parsed.text, `seed ${seed}`).toBe(body.replace(/\r\n/g, '\n'));
    }
  });

  it('cut around each recipient token, still read exactly like the whole body: 100 random bodies and tokens', async () => {
    for (let seed = 300; seed < 400; seed++) {
      const token = `rt${seed}${'Ab9_-'.repeat(seed % 13)}`;
      // the token at random places, at the very start and end too, and twice in a row
      const chars = Array.from(awkwardBody(seed));
      const pieces = Array.from({ length: Math.ceil(chars.length / 97) }, (_, i) => chars.slice(i * 97, i * 97 + 97).join(''));
      const body = (seed % 2 ? token : '') + pieces.map((p, i) => (i % (2 + (seed % 5)) === 0 ? p + token : p)).join('') + (seed % 3 ? token + token : '');
      const text = Array.from(body).slice(0, 900).join('');
      const m = message({ html: body, text, varying: [token] });
      const raw = buildRawMessage(m).toString('latin1');
      const parsed = await simpleParser(Buffer.from(raw, 'latin1'));
      expect(parsed.html, `seed ${seed}`).toBe(body.replace(/\r\n/g, '\n'));
      expect(parsed.text, `seed ${seed}`).toBe(text.replace(/\r\n/g, '\n'));
      const lines = raw.slice(raw.indexOf('\r\n\r\n') + 4).split('\r\n');
      expect(Math.max(...lines.map((l) => l.length)), `seed ${seed}`).toBeLessThanOrEqual(76);
      expect(lines.filter((l) => l.startsWith('.')), `seed ${seed}`).toEqual([]);
    }
  });

  it('encode the body every recipient of a step shares once: a second recipient adds nothing to the piece cache', () => {
    const html = awkwardBody(7);
    const withToken = (rt: string) => message({ html: html.replace(/<a href="https:\/\/t\.example\/c\/x/g, `<a href="https://t.example/c/${rt}/x`), text: `Hi\nhttps://t.example/u/${rt}\n`, varying: [rt] });
    const first = buildMessageChunks(withToken('AAAAtokenOne'));
    const cached = pieceCacheBytes();
    const second = buildMessageChunks(withToken('BBBBtokenTwo'));
    expect(pieceCacheBytes()).toBe(cached);
    // the shared pieces are the very same Buffers, not copies
    const shared = second.filter((c) => first.includes(c));
    expect(shared.length).toBeGreaterThan(10);
    expect(Buffer.concat(second).toString('latin1')).toContain('BBBBtokenTwo');
    expect(Buffer.concat(second).toString('latin1')).not.toContain('AAAAtokenOne');
  });

  it('given as pieces (shared template text and each recipient\'s values), read exactly like the whole body, sharing the encoded Buffers', async () => {
    for (let seed = 500; seed < 560; seed++) {
      const chars = Array.from(awkwardBody(seed));
      // shared pieces of random lengths with a recipient value (or none) between them
      const shared = Array.from({ length: 2 + (seed % 9) }, (_, i) => ({ text: chars.slice(i * 211, i * 211 + 37 + ((seed * (i + 1)) % 300)).join('') }));
      const fill = (who: string) => shared.flatMap((p, i) => (i % 3 === 1 ? [p] : [p, `${who}.${'é.'.repeat(i)}\n.${i}`]));
      const joined = (pieces: (string | { text: string })[]) => pieces.map((p) => (typeof p === 'string' ? p : p.text)).join('');
      const html = fill('AAAAtoken'), text = fill('AAAA').slice(0, 3);
      const m = message({ html: joined(html), text: joined(text), pieces: { html, text } });
      const chunks = buildMessageChunks(m);
      const raw = Buffer.concat(chunks).toString('latin1');
      const parsed = await simpleParser(Buffer.from(raw, 'latin1'));
      expect(parsed.html, `seed ${seed}`).toBe(m.html.replace(/\r\n/g, '\n'));
      expect(parsed.text, `seed ${seed}`).toBe(m.text.replace(/\r\n/g, '\n'));
      const lines = raw.slice(raw.indexOf('\r\n\r\n') + 4).split('\r\n');
      expect(Math.max(...lines.map((l) => l.length)), `seed ${seed}`).toBeLessThanOrEqual(76);
      expect(lines.filter((l) => l.startsWith('.')), `seed ${seed}`).toEqual([]);
      // a second recipient: the shared pieces' encodings are the very same Buffers
      const html2 = fill('BBBBtoken');
      const second = buildMessageChunks(message({ html: joined(html2), text: joined(text), pieces: { html: html2, text } }));
      expect(second.filter((c) => chunks.includes(c)).length, `seed ${seed}`).toBeGreaterThanOrEqual(shared.length);
      expect(Buffer.concat(second).toString('latin1')).not.toContain('AAAAtoken');
    }
  });

  it('with attachments, are refused here (nodemailer composes those)', () => {
    expect(() => buildRawMessage(message({ attachments: [{ filename: 'a.ics', contentType: 'text/calendar', content: 'BEGIN:VCALENDAR' }] }))).toThrow(/attachments/);
  });
});
