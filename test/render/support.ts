// Small factories for render tests: a renderer over the real templates, members, token decoding.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'node-html-parser';
import { createRenderer, type MemberView } from '../../engine/render/index.ts';
import { TokenSigner, TrackingUrls, type TokenPayload } from '../../engine/tracking/tokens.ts';

export const PUBLIC_URL = 'https://t.flywheel.test';
const signer = new TokenSigner('render-test-secret-0123456789');
export const urls = new TrackingUrls(PUBLIC_URL, signer);
export const POSTAL = 'Flywheel DevRel, 1 Example Street, Springfield, USA';

export function renderer(templatesDir = 'templates') {
  return createRenderer({ templatesDir, urls, postalAddress: POSTAL, senderName: 'Flywheel DevRel' });
}

export function member(overrides: Partial<MemberView> = {}): MemberView {
  return {
    id: '65f1a2b3c4d5e6f708192a3b', email: 'ada@example.com', name: 'Ada Lovelace', firstName: 'Ada',
    program: 'champions', locale: 'en-GB', timezone: 'Europe/London', ...overrides,
  };
}

/** Decodes a tracking URL built by TrackingUrls; throws if it is not one or the signature is wrong. */
export function decodeTracking(url: string): TokenPayload & { path: string } {
  const m = new RegExp(`^${PUBLIC_URL}/([a-z])/([A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+)$`).exec(url);
  if (!m) throw new Error(`not a tracking URL: ${url}`);
  return { ...signer.verify(m[2]!), path: m[1]! };
}

export function hrefs(html: string): string[] {
  return parse(html).querySelectorAll('a').map((a) => a.getAttribute('href') ?? '').filter((h) => h !== '');
}

export function trackingUrlsInText(text: string): string[] {
  return [...text.matchAll(new RegExp(`${PUBLIC_URL}/[a-z]/[A-Za-z0-9_.-]+`, 'g'))].map((m) => m[0]);
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
