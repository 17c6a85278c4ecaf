// Named segments: exported from campaigns/segments.ts (via defineSegment), plus every
// campaign's audience under the campaign's name, so `flywheel segments count` can preview both.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { importFresh } from '../campaigns/load.ts';
import { segmentNodeSchema } from '../campaigns/schema.ts';
import type { LoadedCampaign } from '../campaigns/types.ts';
import type { SegmentNode } from './segment.ts';

export interface SegmentEntry {
  name: string;
  source: string;
  node: SegmentNode;
}

export async function loadNamedSegments(campaignsDir: string, campaigns: readonly LoadedCampaign[] = []): Promise<SegmentEntry[]> {
  const out: SegmentEntry[] = [];
  const file = join(campaignsDir, 'segments.ts');
  if (existsSync(file)) {
    const mod = await importFresh(file);
    for (const value of Object.values(mod)) {
      if (!value || typeof value !== 'object' || typeof (value as { name?: unknown }).name !== 'string') continue;
      const parsed = segmentNodeSchema.safeParse((value as { node?: unknown }).node);
      if (parsed.success) out.push({ name: (value as { name: string }).name, source: 'campaigns/segments.ts', node: parsed.data });
    }
  }
  for (const c of campaigns) {
    out.push({ name: c.name, source: `audience of ${c.file}`, node: c.definition.audience?.node ?? { op: 'everyone' } });
  }
  return out;
}
