// Gmail clips a message whose HTML passes 102 KB ("[Message clipped] View entire message"): the
// rest, with the unsubscribe link and the open pixel, is hidden. Every template, filled as it is
// sent, stays under it: each with its sample, and the newsletter at the largest issue the
// repository's newsletter campaigns can send (their digest's maxItems), with long items.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSample } from '../../engine/render/samples.ts';
import { loadCampaigns } from '../../engine/campaigns/index.ts';
import { member, renderer, sendRef } from './support.ts';

const GMAIL_CLIP_BYTES = 102 * 1000;
const templates = readdirSync('templates').filter((f) => f.endsWith('.mjml')).map((f) => f.slice(0, -'.mjml'.length));
const longName = 'Maximiliane Alexandra Konstantinopoulou-Vandenberghe';

async function htmlBytes(template: string, data: Record<string, unknown>, subject: string): Promise<number> {
  const compiled = await renderer().prepare(template, { data, subject }, 'en-GB');
  const filled = compiled.fill(member({ ...loadSample('templates', template).member, name: longName, firstName: 'Maximiliane' }), sendRef('65f1a2b3c4d5e6f708192a3c'));
  return Buffer.byteLength(filled.html, 'utf8');
}

describe('messages stay under Gmail\'s clipping limit', () => {
  it.each(templates)('%s, filled with its sample', async (template) => {
    const sample = loadSample('templates', template);
    const bytes = await htmlBytes(template, sample.data, sample.subject);
    expect(bytes).toBeGreaterThan(2000);
    expect(bytes).toBeLessThan(GMAIL_CLIP_BYTES);
  });

  it('the newsletter at the most items a repository newsletter can digest, each with a long summary', async () => {
    const campaigns = await loadCampaigns('campaigns');
    const maxItems = Math.max(...campaigns.map((c) => (c.definition as { digest?: { maxItems?: number } }).digest?.maxItems ?? 0));
    expect(maxItems).toBeGreaterThan(0);
    const sample = loadSample('templates', 'newsletter');
    const item = (sample.data.items as Array<Record<string, string>>)[0]!;
    const items = Array.from({ length: maxItems }, (_, i) => ({
      ...item, title: `${item.title} (part ${i + 1}): ${'a longer headline '.repeat(4)}`, summary: 'A summary of a few sentences, as a feed gives it. '.repeat(12), url: `${item.url}&n=${i}`,
    }));
    const bytes = await htmlBytes('newsletter', { ...sample.data, items }, sample.subject);
    console.log(`newsletter with ${maxItems} long items: ${bytes} bytes of HTML (Gmail clips at ${GMAIL_CLIP_BYTES})`);
    expect(bytes).toBeLessThan(GMAIL_CLIP_BYTES);
  });
});
