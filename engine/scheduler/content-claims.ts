// "Never the same item twice to one member", across issues and across campaigns: before sends
// that carry content items (`data.itemIds`) are recorded, each (member, item) is claimed with a
// keyed insert. Items another send already holds are taken out of the send; a send left with
// no item (a promotion, or a digest whose items all went elsewhere) is dropped.
import { sendLogKey } from './enqueue.ts';
import { claimDeliveries, claimKey, type DeliveryClaim } from '../content/index.ts';
import type { PlannedSend } from '../planner/index.ts';
import type { Store } from '../store/index.ts';

function itemIdsOf(p: PlannedSend): string[] {
  const ids = p.data.itemIds;
  return Array.isArray(ids) ? ids.filter((i): i is string => typeof i === 'string') : [];
}

export async function claimContentForSends(store: Store, planned: PlannedSend[], publishedAt: ReadonlyMap<string, Date>, now: Date): Promise<PlannedSend[]> {
  const claims: DeliveryClaim[] = [];
  for (const p of planned) {
    const sendKey = sendLogKey(p);
    for (const guid of itemIdsOf(p)) claims.push({ memberId: p.memberId, guid, sendKey, publishedAt: publishedAt.get(guid) ?? now });
  }
  if (claims.length === 0) return planned;
  const taken = await claimDeliveries(store, claims, now);
  if (taken.size === 0) return planned;
  const out: PlannedSend[] = [];
  for (const p of planned) {
    const ids = itemIdsOf(p);
    const keep = ids.filter((guid) => !taken.has(claimKey(p.memberId, guid)));
    if (keep.length === ids.length) {
      out.push(p);
      continue;
    }
    if (keep.length === 0) continue;
    const kept = new Set(keep);
    const items = Array.isArray(p.data.items) ? (p.data.items as Array<{ guid?: string }>).filter((i) => !i.guid || kept.has(i.guid)) : p.data.items;
    out.push({ ...p, data: { ...p.data, itemIds: keep, ...(items !== undefined ? { items } : {}) } });
  }
  return out;
}
