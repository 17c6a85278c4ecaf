// Segment -> MongoDB filter over the members collection. Pure: `now` is passed in, and
// campaign-scoped engagement ("opened campaign X") arrives already resolved to member ids
// (phase one, in `audienceFilter`), because FerretDB has no $lookup to join send-log records.
import type { SegmentNode } from './segment.ts';

export type MemberFilter = Record<string, unknown>;

const DAY_MS = 86_400_000;

/** Stable key of a send-log node, used to hand its resolved member ids to the compiler. */
export function sendlogNodeKey(node: Extract<SegmentNode, { op: 'engaged' }>): string {
  return `${node.action}:${node.campaign ?? '*'}:${node.withinDays}`;
}

/** Every node that needs send-log records (opened/clicked a specific campaign). */
export function sendlogNodes(node: SegmentNode): Array<Extract<SegmentNode, { op: 'engaged' }>> {
  switch (node.op) {
    case 'engaged':
      return node.campaign ? [node] : [];
    case 'and':
    case 'or':
      return node.of.flatMap(sendlogNodes);
    case 'not':
      return sendlogNodes(node.of);
    default:
      return [];
  }
}

/**
 * Compile `node` to a member filter at `now`. `resolved` maps `sendlogNodeKey` to the
 * member ids that satisfy each campaign-scoped engagement node.
 */
export function compileSegment(node: SegmentNode, now: Date, resolved: ReadonlyMap<string, unknown[]> = new Map()): MemberFilter {
  const t = now.getTime();
  const ago = (days: number) => new Date(t - days * DAY_MS);
  const ahead = (days: number) => new Date(t + days * DAY_MS);
  switch (node.op) {
    case 'everyone':
      return {};
    case 'program':
      return { program: { $in: node.in } };
    case 'status':
      return { status: { $in: node.in } };
    case 'tags':
      return { tags: node.match === 'any' ? { $in: node.tags } : { $all: node.tags } };
    case 'country':
      return { country: { $in: node.in } };
    case 'timezone':
      return { timezone: { $in: node.in } };
    case 'date':
      return { [node.field]: node.cmp === 'before' ? { $lt: new Date(node.at) } : { $gt: new Date(node.at) } };
    case 'relativeDate':
      switch (node.cmp) {
        case 'withinLast':
          return { [node.field]: { $gte: ago(node.days), $lte: now } };
        case 'moreThanAgo':
          return { [node.field]: { $lt: ago(node.days) } };
        case 'withinNext':
          return { [node.field]: { $gte: now, $lte: ahead(node.days) } };
        case 'moreThanAhead':
          return { [node.field]: { $gt: ahead(node.days) } };
      }
      break;
    case 'attribute': {
      const path = `attributes.${node.key}`;
      if (node.cmp === 'exists') return { [path]: { $exists: true } };
      return { [path]: { [`$${node.cmp}`]: node.value } };
    }
    case 'engaged': {
      if (node.campaign) {
        const ids = resolved.get(sendlogNodeKey(node));
        if (!ids) throw new Error(`segment node ${sendlogNodeKey(node)} was not resolved before compiling`);
        return { _id: { $in: ids } };
      }
      return { [node.action === 'opened' ? 'lastOpenedAt' : 'lastClickedAt']: { $gte: ago(node.withinDays) } };
    }
    case 'notEmailed':
      return { $or: [{ lastEmailedAt: null }, { lastEmailedAt: { $lt: ago(node.withinDays) } }] };
    case 'and':
      return node.of.length === 0 ? {} : { $and: node.of.map((n) => compileSegment(n, now, resolved)) };
    case 'or':
      return node.of.length === 0 ? { _id: { $in: [] } } : { $or: node.of.map((n) => compileSegment(n, now, resolved)) };
    case 'not':
      return { $nor: [compileSegment(node.of, now, resolved)] };
  }
  throw new Error(`unknown segment node ${JSON.stringify(node)}`);
}
