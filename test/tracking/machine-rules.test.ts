// Each machine-open rule, with the hit that triggers it and a person's hit that does not.
import { describe, expect, it } from 'vitest';
import { classifyHit, MACHINE_RULES, scannerBursts, type HitFacts } from '../../engine/tracking/machine-rules.ts';

const SENT = new Date('2026-03-02T09:00:00Z');
const HOUR_LATER = new Date(SENT.getTime() + 3600_000);
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const person: HitFacts = { method: 'GET', userAgent: CHROME, at: HOUR_LATER, sentAt: SENT, earlierProxyFetches: 0 };
const rule = (kind: 'open' | 'click', facts: Partial<HitFacts>) => {
  const c = classifyHit(kind, { ...person, ...facts });
  return c.machine ? c.rule : 'human';
};

describe('machine-open rules', () => {
  it('a browser an hour after sending is a person', () => {
    expect(rule('open', {})).toBe('human');
    expect(rule('click', {})).toBe('human');
  });

  it('head-request: a HEAD is a link checker', () => {
    expect(rule('open', { method: 'HEAD' })).toBe('head-request');
    expect(rule('click', { method: 'HEAD' })).toBe('head-request');
  });

  it('no-user-agent: every real client names itself', () => {
    expect(rule('open', { userAgent: '' })).toBe('no-user-agent');
  });

  it.each([
    ['Barracuda', 'Mozilla/5.0 (compatible; Barracuda Sentinel)'],
    ['Proofpoint', 'Mozilla/5.0 ppops-url-defense/1.0'],
    ['Mimecast', 'Mimecast URL Protect'],
    ['Microsoft', 'Mozilla/5.0 (Windows NT 10.0) Microsoft Defender SafeLinks'],
    ['a bot', 'Mozilla/5.0 (compatible; LinkCheckBot/2.1)'],
    ['headless Chrome', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36'],
    ['curl', 'curl/8.5.0'],
    ['python-requests', 'python-requests/2.31'],
  ])('scanner-agent: %s', (_name, userAgent) => {
    expect(rule('open', { userAgent })).toBe('scanner-agent');
    expect(rule('click', { userAgent })).toBe('scanner-agent');
  });

  it('apple-mpp: Apple Mail Privacy Protection prefetch (bare WebKit agent), opens only', () => {
    const mpp = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)';
    expect(rule('open', { userAgent: mpp })).toBe('apple-mpp');
    expect(rule('open', { userAgent: 'Mozilla/5.0' })).toBe('apple-mpp');
    // Safari itself says Version/… Safari/…: a person
    expect(rule('open', { userAgent: `${mpp} Version/17.0 Safari/605.1.15` })).toBe('human');
  });

  it("google-proxy-first-fetch: Gmail's proxy fetches once for itself; later fetches follow a person", () => {
    const gmail = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';
    expect(rule('open', { userAgent: gmail, earlierProxyFetches: 0 })).toBe('google-proxy-first-fetch');
    expect(rule('open', { userAgent: gmail, earlierProxyFetches: 1 })).toBe('human');
  });

  it('prefetch-at-delivery: within 10 s of sending nobody has read it yet', () => {
    expect(rule('open', { at: new Date(SENT.getTime() + 3000) })).toBe('prefetch-at-delivery');
    expect(rule('open', { at: new Date(SENT.getTime() + 11_000) })).toBe('human');
    // a click that fast is judged by the burst rule, not by time since sending
    expect(rule('click', { at: new Date(SENT.getTime() + 3000) })).toBe('human');
  });

  it('every rule has an id and a reason', () => {
    for (const r of MACHINE_RULES) {
      expect(r.id).toMatch(/^[a-z-]+$/);
      expect(r.why.length).toBeGreaterThan(10);
    }
  });
});

describe('scanner bursts', () => {
  const at = (ms: number) => new Date(HOUR_LATER.getTime() + ms);

  it('distinct links of one message followed within a second are a scanner', () => {
    const b = scannerBursts([
      { sendLogId: 'a', link: 'https://x/1', at: at(0) },
      { sendLogId: 'a', link: 'https://x/2', at: at(300) },
      { sendLogId: 'a', link: 'https://x/3', at: at(600) },
    ]);
    expect([...b].sort()).toEqual([0, 1, 2]);
  });

  it('a person clicking two links seconds apart, or the same link twice, is not', () => {
    expect(scannerBursts([
      { sendLogId: 'a', link: 'https://x/1', at: at(0) },
      { sendLogId: 'a', link: 'https://x/2', at: at(4000) },
      { sendLogId: 'a', link: 'https://x/2', at: at(4200) },
    ]).size).toBe(0);
  });

  it('clicks in different messages never form a burst together', () => {
    expect(scannerBursts([
      { sendLogId: 'a', link: 'https://x/1', at: at(0) },
      { sendLogId: 'b', link: 'https://x/2', at: at(100) },
    ]).size).toBe(0);
  });

  it('survey scores count as links: a scanner answering 1 to 5 at once is not an answer', () => {
    const b = scannerBursts([1, 2, 3, 4, 5].map((s, i) => ({ sendLogId: 'a', link: `score:${s}`, at: at(i * 50) })));
    expect(b.size).toBe(5);
  });
});
