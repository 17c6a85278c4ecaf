import { parse } from 'node-html-parser';
import { describe, expect, it } from 'vitest';
import { createRenderer } from '../../engine/render/index.ts';
import { loadSample } from '../../engine/render/samples.ts';
import { TokenSigner, TrackingUrls } from '../../engine/tracking/tokens.ts';
import { decodeTracking, hrefs, member, POSTAL, PUBLIC_URL, renderer, sendRef, TEST_SECRET, trackingUrlsInText, urls } from './support.ts';

const r = renderer();
const TEMPLATES = ['newsletter', 'renewal-reminder', 'case-study', 'event-invite', 'event-reminder', 'onboarding-step'];

async function renderSample(template: string, who = loadSample('templates', template).member, sendLogId = '65f1a2b3c4d5e6f708192a99') {
  const s = loadSample('templates', template);
  return r.render({ template, subject: s.subject, preheader: s.preheader, data: s.data, member: who, send: sendRef(sendLogId) });
}

describe('rendered messages', () => {
  it('there is a template for every message type the campaigns send', () => {
    expect(r.templates()).toEqual(expect.arrayContaining(TEMPLATES));
  });

  it("shows a hostile member name as text, never as markup", async () => {
    const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    const msg = await renderSample('newsletter', member({ firstName: evil, name: evil }));
    const doc = parse(msg.html);
    expect(doc.querySelectorAll('script')).toHaveLength(0);
    expect(doc.querySelectorAll('img[onerror]')).toHaveLength(0);
    expect(msg.html).toContain('Hi &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(doc.querySelector('body')!.text).toContain(`Hi ${evil},`);
    expect(msg.text).toContain(`Hi ${evil},`);
    expect(msg.preheader.startsWith(evil)).toBe(true); // subject and preheader are plain text
  });

  it('shows template syntax found in campaign data literally instead of evaluating it', async () => {
    const s = loadSample('templates', 'newsletter');
    const items = (s.data.items as Array<Record<string, unknown>>).map((it, i) =>
      i === 0 ? { ...it, title: 'Leak {{member.email}} {{{_u.unsubscribe}}} \\{{x}}' } : it);
    const msg = await r.render({ template: 'newsletter', subject: 'Hi {{issue.title}}', data: { ...s.data, items, issue: { number: 1, title: '{{member.email}}', date: '2025-03-04T09:00:00Z' } }, member: member(), send: sendRef('a1') });
    expect(msg.html).not.toContain('ada@example.com');
    expect(parse(msg.html).querySelector('h2 a')!.text).toBe('Leak {{member.email}} {{{_u.unsubscribe}}} \\{{x}}');
    expect(msg.text).toContain('Leak {{member.email}} {{{_u.unsubscribe}}} \\{{x}}');
    expect(msg.subject).toBe('Hi {{member.email}}');
  });

  it.each(TEMPLATES)('%s: every link is a signed tracking link back to the address the template wrote', async (template) => {
    const sendLogId = '65f1a2b3c4d5e6f708192abc';
    const msg = await renderSample(template, undefined, sendLogId);
    const links = hrefs(msg.html).filter((h) => !h.startsWith('mailto:'));
    expect(links.length).toBeGreaterThan(2);
    // decodeTracking verifies the recipient token and, for clicks, the link signature of the target
    const decoded = links.map(decodeTracking);
    for (const d of decoded) expect(d.sendLogId).toBe(sendLogId);
    const clicks = decoded.filter((d) => d.path === 'c').map((d) => d.target!);
    for (const target of clicks) expect(target).toMatch(/^https:\/\/[a-z.]*flywheel\.example\/|^https:\/\/github\.com\//);
    // the program's own site, linked from the header, is always among them
    const s = loadSample('templates', template);
    expect(clicks).toContain((s.data.program as { url: string }).url);
  });

  it('the newsletter links go to each of its six items, unchanged (query strings included)', async () => {
    const s = loadSample('templates', 'newsletter');
    const msg = await renderSample('newsletter');
    const targets = new Set(hrefs(msg.html).map(decodeTracking).filter((d) => d.path === 'c').map((d) => d.target));
    const items = s.data.items as Array<{ url: string }>;
    expect(items).toHaveLength(6);
    for (const it of items) expect(targets).toContain(it.url);
    expect(targets).toContain('https://flywheel.example/blog/edge-functions?utm_source=newsletter&utm_medium=email');
  });

  it.each(TEMPLATES)('%s: the text part exists and carries the same tracking links as the HTML', async (template) => {
    const msg = await renderSample(template);
    const inHtml = new Set(hrefs(msg.html).filter((h) => h.startsWith(PUBLIC_URL)));
    const inText = new Set(trackingUrlsInText(msg.text));
    expect(msg.text.length).toBeGreaterThan(200);
    expect(inText).toEqual(inHtml);
    for (const url of inText) decodeTracking(url);
    expect(msg.text).not.toMatch(/\{\{|<[a-z]/i);
  });

  it.each(TEMPLATES)('%s: footer has unsubscribe, preferences and the postal address; HTML has an open pixel', async (template) => {
    const sendLogId = '65f1a2b3c4d5e6f708192a01';
    const who = loadSample('templates', template).member;
    const msg = await renderSample(template, who, sendLogId);
    const doc = parse(msg.html);
    const byText = (label: string) => doc.querySelectorAll('a').find((a) => a.text.trim() === label)?.getAttribute('href');
    const rt = urls.recipient({ ...sendRef(sendLogId), memberId: who.id, program: who.program });
    expect(byText('Unsubscribe')).toBe(urls.unsubscribe(rt));
    expect(byText('Email preferences')).toBe(urls.preferences(rt));
    expect(msg.text).toContain(`Unsubscribe [${urls.unsubscribe(rt)}]`);
    expect(msg.text).toContain(`Email preferences [${urls.preferences(rt)}]`);
    expect(doc.text).toContain(POSTAL);
    expect(msg.text).toContain(POSTAL);
    expect(doc.querySelectorAll('img').some((i) => i.getAttribute('src') === urls.openPixel(rt))).toBe(true);
    for (const img of doc.querySelectorAll('img')) {
      if (img.getAttribute('src') !== urls.openPixel(rt)) expect(img.getAttribute('alt')?.trim()).toBeTruthy();
    }
  });

  it('links that depend on the member are filled, then signed, per member', async () => {
    const s = loadSample('templates', 'renewal-reminder');
    const compiled = await r.prepare('renewal-reminder', s, s.member.locale);
    const renewHref = (html: string) => parse(html).querySelectorAll('a').find((a) => a.text.includes('Renew my membership'))!.getAttribute('href')!;
    const first = decodeTracking(renewHref(compiled.fill(s.member, sendRef('send-1')).html));
    const second = decodeTracking(renewHref(compiled.fill({ ...s.member, id: 'other-member' }, sendRef('send-2')).html));
    expect(first).toEqual({ path: 'c', sendLogId: 'send-1', target: 'https://pro.flywheel.example/renew?member=65f1a2b3c4d5e6f708192a3c' });
    expect(second).toEqual({ path: 'c', sendLogId: 'send-2', target: 'https://pro.flywheel.example/renew?member=other-member' });
  });

  it('signs each link target once per message and each recipient once, however many links they get', async () => {
    const calls = { recipient: 0, link: 0 };
    const counting = new (class extends TokenSigner {
      override recipientToken(ref: Parameters<TokenSigner['recipientToken']>[0]): string { calls.recipient++; return super.recipientToken(ref); }
      override linkSignature(target: string): string { calls.link++; return super.linkSignature(target); }
    })(TEST_SECRET);
    const rr = createRenderer({ templatesDir: 'templates', urls: new TrackingUrls(PUBLIC_URL, counting), postalAddress: POSTAL, senderName: 'Flywheel DevRel' });
    const s = loadSample('templates', 'newsletter');
    const compiled = await rr.prepare('newsletter', s, 'en-GB');
    expect(calls).toEqual({ recipient: 0, link: compiled.linkTargets.length });
    const messages = ['s-1', 's-2', 's-3'].map((id, i) => compiled.fill(member({ firstName: `M${i}` }), sendRef(id)));
    expect(calls).toEqual({ recipient: 3, link: compiled.linkTargets.length });
    // and the URLs still verify for the right recipient
    messages.forEach((m, i) => {
      const decoded = hrefs(m.html).filter((h) => h.startsWith(PUBLIC_URL)).map(decodeTracking);
      expect(decoded.length).toBeGreaterThan(8);
      for (const d of decoded) expect(d.sendLogId).toBe(`s-${i + 1}`);
    });
  });

  it('event invitations carry RSVP yes and no links; onboarding carries survey scores', async () => {
    const invite = await renderSample('event-invite', undefined, 'abc123');
    const answers = hrefs(invite.html).map(decodeTracking).filter((d) => d.path === 'r').map((d) => d.value);
    expect(answers.sort()).toEqual(['no', 'yes']);
    const onboarding = await renderSample('onboarding-step');
    const scores = hrefs(onboarding.html).map(decodeTracking).filter((d) => d.path === 's').map((d) => d.value);
    expect(scores).toEqual(['1', '2', '3', '4', '5']);
  });

  it("prints dates in the member's time zone and locale", async () => {
    const chicago = await renderSample('event-invite', member({ timezone: 'America/Chicago', locale: 'en-US' }));
    const tokyo = await renderSample('event-invite', member({ timezone: 'Asia/Tokyo', locale: 'en-US' }));
    const paris = await renderSample('event-invite', member({ timezone: 'Europe/Paris', locale: 'fr-FR' }));
    expect(parse(chicago.html).text).toMatch(/March 20, 2025 at 12:00\s?PM CDT/);
    expect(parse(tokyo.html).text).toMatch(/March 21, 2025 at 2:00\s?AM GMT\+9/);
    expect(parse(paris.html).text).toMatch(/20 mars 2025 à 18:00 UTC\+1/);
  });

  it('counts are pluralised and missing optional member fields use the fallback', async () => {
    const s = loadSample('templates', 'renewal-reminder');
    const one = await r.render({ template: 'renewal-reminder', subject: s.subject, data: { ...s.data, daysLeft: 1 }, member: { ...s.member, firstName: '' }, send: sendRef('x') });
    expect(one.subject).toBe('Your, your Flywheel Pro membership ends in 1 day');
    expect(parse(one.html).text).toContain('Hi there,');
  });

  it('refuses to send a renewal reminder to a member without an expiry date rather than leave a blank', async () => {
    const s = loadSample('templates', 'renewal-reminder');
    const { expiresAt: _, ...withoutExpiry } = s.member;
    await expect(r.render({ template: 'renewal-reminder', subject: s.subject, data: s.data, member: withoutExpiry, send: sendRef('x') }))
      .rejects.toThrow(/date/);
  });

  it('compiles once per (template, data, locale) and reuses it for every recipient', async () => {
    const s = loadSample('templates', 'newsletter');
    const a = await r.prepare('newsletter', s, 'en-GB');
    const b = await r.prepare('newsletter', { ...s, data: s.data }, 'en-GB');
    const otherLocale = await r.prepare('newsletter', s, 'fr-FR');
    const otherData = await r.prepare('newsletter', { ...s, data: { ...s.data, intro: 'Changed.' } }, 'en-GB');
    expect(b).toBe(a);
    expect(otherLocale).not.toBe(a);
    expect(otherData).not.toBe(a);
    const first = a.fill(member({ firstName: 'Ada' }), sendRef('id-1'));
    const second = a.fill(member({ firstName: 'Grace' }), sendRef('id-2'));
    expect(first.html).toContain('Hi Ada,');
    expect(second.html).toContain('Hi Grace,');
    expect(hrefs(second.html).map(decodeTracking).every((d) => d.sendLogId === 'id-2')).toBe(true);
  });
});
