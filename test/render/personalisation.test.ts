import { parse } from 'node-html-parser';
import { describe, expect, it } from 'vitest';
import { loadSample } from '../../engine/render/samples.ts';
import { decodeTracking, hrefs, member, POSTAL, PUBLIC_URL, renderer, trackingUrlsInText, urls } from './support.ts';

const r = renderer();
const TEMPLATES = ['newsletter', 'renewal-reminder', 'case-study', 'event-invite', 'event-reminder', 'onboarding-step'];

async function renderSample(template: string, who = loadSample('templates', template).member, sendLogId = '65f1a2b3c4d5e6f708192a99') {
  const s = loadSample('templates', template);
  return r.render({ template, subject: s.subject, preheader: s.preheader, data: s.data, member: who, sendLogId });
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
    const msg = await r.render({ template: 'newsletter', subject: 'Hi {{issue.title}}', data: { ...s.data, items, issue: { number: 1, title: '{{member.email}}', date: '2025-03-04T09:00:00Z' } }, member: member(), sendLogId: 'a1' });
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
    const decoded = links.map(decodeTracking);
    for (const d of decoded) expect(d.m).toBe(sendLogId);
    const clicks = decoded.filter((d) => d.a === 'c').map((d) => d.u!);
    for (const target of clicks) expect(target).toMatch(/^https:\/\/[a-z.]*flywheel\.example\/|^https:\/\/github\.com\//);
    // the program's own site, linked from the header, is always among them
    const s = loadSample('templates', template);
    expect(clicks).toContain((s.data.program as { url: string }).url);
  });

  it('the newsletter links go to each of its six items, unchanged (query strings included)', async () => {
    const s = loadSample('templates', 'newsletter');
    const msg = await renderSample('newsletter');
    const targets = new Set(hrefs(msg.html).map(decodeTracking).filter((d) => d.a === 'c').map((d) => d.u));
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
    expect(msg.text).not.toMatch(/\{\{|<[a-z]/i);
  });

  it.each(TEMPLATES)('%s: footer has unsubscribe, preferences and the postal address; HTML has an open pixel', async (template) => {
    const sendLogId = '65f1a2b3c4d5e6f708192a01';
    const msg = await renderSample(template, undefined, sendLogId);
    const doc = parse(msg.html);
    const byText = (label: string) => doc.querySelectorAll('a').find((a) => a.text.trim() === label)?.getAttribute('href');
    expect(byText('Unsubscribe')).toBe(urls.unsubscribe(sendLogId));
    expect(byText('Email preferences')).toBe(urls.preferences(sendLogId));
    expect(msg.text).toContain(`Unsubscribe [${urls.unsubscribe(sendLogId)}]`);
    expect(msg.text).toContain(`Email preferences [${urls.preferences(sendLogId)}]`);
    expect(doc.text).toContain(POSTAL);
    expect(msg.text).toContain(POSTAL);
    expect(doc.querySelectorAll('img').some((i) => i.getAttribute('src') === urls.openPixel(sendLogId))).toBe(true);
    for (const img of doc.querySelectorAll('img')) {
      if (img.getAttribute('src') !== urls.openPixel(sendLogId)) expect(img.getAttribute('alt')?.trim()).toBeTruthy();
    }
  });

  it('links that depend on the member are filled, then signed, per member', async () => {
    const msg = await renderSample('renewal-reminder');
    const renew = parse(msg.html).querySelectorAll('a').find((a) => a.text.includes('Renew my membership'))!;
    expect(decodeTracking(renew.getAttribute('href')!).u).toBe('https://pro.flywheel.example/renew?member=65f1a2b3c4d5e6f708192a3c');
  });

  it('event invitations carry RSVP yes and no links; onboarding carries survey scores', async () => {
    const invite = await renderSample('event-invite', undefined, 'abc123');
    const answers = hrefs(invite.html).map(decodeTracking).filter((d) => d.a === 'r').map((d) => d.v);
    expect(answers.sort()).toEqual(['no', 'yes']);
    const onboarding = await renderSample('onboarding-step');
    const scores = hrefs(onboarding.html).map(decodeTracking).filter((d) => d.a === 's').map((d) => d.v);
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
    const one = await r.render({ template: 'renewal-reminder', subject: s.subject, data: { ...s.data, daysLeft: 1 }, member: { ...s.member, firstName: '' }, sendLogId: 'x' });
    expect(one.subject).toBe('Your, your Flywheel Pro membership ends in 1 day');
    expect(parse(one.html).text).toContain('Hi there,');
  });

  it('refuses to send a renewal reminder to a member without an expiry date rather than leave a blank', async () => {
    const s = loadSample('templates', 'renewal-reminder');
    const { expiresAt: _, ...withoutExpiry } = s.member;
    await expect(r.render({ template: 'renewal-reminder', subject: s.subject, data: s.data, member: withoutExpiry, sendLogId: 'x' }))
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
    const first = a.fill(member({ firstName: 'Ada' }), 'id-1');
    const second = a.fill(member({ firstName: 'Grace' }), 'id-2');
    expect(first.html).toContain('Hi Ada,');
    expect(second.html).toContain('Hi Grace,');
    expect(hrefs(second.html).map(decodeTracking).every((d) => d.m === 'id-2')).toBe(true);
  });
});
