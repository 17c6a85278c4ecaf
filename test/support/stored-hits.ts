// Pixel, click and survey hits as stored (pages of hits, engine/tracking/hit-pages.ts), counted by
// what a test names: kind, campaign, send.
import type { Store } from '../../engine/store/index.ts';
import type { Hit } from '../../engine/tracking/hits.ts';
import { storedHitPages } from '../../engine/tracking/hit-pages.ts';

export async function countStoredHits(store: Store, match: { kind?: Hit['kind']; campaign?: string; sendLogId?: string } = {}): Promise<number> {
  let n = 0;
  for await (const hits of storedHitPages(store)) {
    for (const h of hits) {
      if (match.kind && h.kind !== match.kind) continue;
      if (match.campaign && h.ref.campaign !== match.campaign) continue;
      if (match.sendLogId && h.ref.sendLogId !== match.sendLogId) continue;
      n++;
    }
  }
  return n;
}
