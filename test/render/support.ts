// Small factories for render tests: a renderer over the real templates, members, token decoding.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'node-html-parser';
import { randomBytes } from 'node:crypto';
import { createRenderer, type MemberView, type SendRef } from '../../engine/render/index.ts';
import { TokenSigner, TrackingUrls } from '../../engine/tracking/tokens.ts';

export const PUBLIC_URL = 'https://t.flywheel.test';
export const TEST_SECRET = randomBytes(32).toString('base64url');
export const signer = new TokenSigner(TEST_SECRET);
export const urls = new TrackingUrls(PUBLIC_URL, signer);
export const POSTAL = 'Flywheel DevRel, 1 Example Street, Springfield, USA';

export function renderer(templatesDir = 'templates') {
  return createRenderer({ templatesDir, urls, postalAddress: POSTAL, senderName: 'Flywheel DevRel' });
}

export const SENT_AT = new Date('2026-01-06T09:00:00Z');

/** The send a test message is filled for. */
export function sendRef(sendLogId: string): SendRef {
  return { sendLogId, campaign: 'test-campaign', step: 'test-step', sentAt: SENT_AT };
}

export function member(overrides: Partial<MemberView> = {}): MemberView {
  return {
    id: '65f1a2b3c4d5e6f708192a3b', email: 'ada@example.com', name: 'Ada Lovelace', firstName: 'Ada',
    program: 'champions', locale: 'en-GB', timezone: 'Europe/London', ...overrides,
  };
}

export interface DecodedTracking {
  /** o=open, c=click, u=unsubscribe, p=preferences, r=rsvp, s=survey */
  path: string;
  sendLogId: string;
  /** click target, after its link signature verified */
  target?: string;
  /** rsvp answer or survey score */
  value?: string;
}

const TRACKING_URL = new RegExp(`^${PUBLIC_URL.replaceAll('.', '\\.')}/([oupcrs])/([^/?]+)(?:/([^/?]+))?(?:\\?u=([^&#]*))?$`);

/** Decodes a tracking URL built by TrackingUrls; throws if it is not one or a signature does not verify. */
export function decodeTracking(url: string): DecodedTracking {
  const m = TRACKING_URL.exec(url);
  if (!m) throw new Error(`not a tracking URL: ${url}`);
  const [, path, rt, extra, encodedTarget] = m as unknown as [string, string, string, string | undefined, string | undefined];
  const { sendLogId } = signer.verifyRecipientToken(rt);
  if (path === 'c') {
    if (extra === undefined || encodedTarget === undefined) throw new Error(`click URL without link signature or target: ${url}`);
    const target = decodeURIComponent(encodedTarget);
    if (!signer.verifyLink(target, extra)) throw new Error(`link signature does not verify for ${target}`);
    return { path, sendLogId, target };
  }
  if (encodedTarget !== undefined) throw new Error(`only click URLs carry a target: ${url}`);
  if (path === 'r' && extra !== 'yes' && extra !== 'no') throw new Error(`bad RSVP answer in ${url}`);
  if (path === 's' && !/^\d+$/.test(extra ?? '')) throw new Error(`bad survey score in ${url}`);
  if ((path === 'o' || path === 'u' || path === 'p') && extra !== undefined) throw new Error(`unexpected path segment in ${url}`);
  return { path, sendLogId, ...(extra !== undefined ? { value: extra } : {}) };
}

export function hrefs(html: string): string[] {
  return parse(html).querySelectorAll('a').map((a) => a.getAttribute('href') ?? '').filter((h) => h !== '');
}

export function trackingUrlsInText(text: string): string[] {
  // a tracking URL's characters: path segments, then (clicks) ?u= and an encodeURIComponent target
  return [...text.matchAll(new RegExp(`${PUBLIC_URL}/[a-z]/[A-Za-z0-9_./-]+(?:\\?u=[A-Za-z0-9_.!~*'()%-]+)?`, 'g'))].map((m) => m[0]);
}

/** A throwaway templates folder: { 'x.mjml': '...', 'partials/p.mjml': '...' }. */
export function templatesFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-templates-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}
