// In-memory evaluation of a segment against one member, for the pure planner (drip
// entry/exit conditions, simulations). Must agree with `compile.ts`; the segment tests
// check both against the same members.
import type { SegmentNode } from './segment.ts';

export interface MatchableMember {
  _id: unknown;
  program: string;
  status?: string | null;
  tags?: string[] | null;
  country?: string | null;
  timezone?: string | null;
  attributes?: Record<string, unknown> | null;
}

const DAY_MS = 86_400_000;

function dateOf(member: MatchableMember, field: string): number | undefined {
  const v = (member as unknown as Record<string, unknown>)[field];
  return v instanceof Date ? v.getTime() : undefined;
}

function attributeOf(member: MatchableMember, key: string): unknown {
  let cur: unknown = member.attributes ?? {};
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * Does `member` belong to the segment at `now`? Campaign-scoped engagement nodes need
 * `engagedIds` (keys from `sendlogNodeKey`); without them they do not match.
 */
export function matchesSegment(node: SegmentNode, member: MatchableMember, now: Date, engagedIds?: ReadonlyMap<string, ReadonlySet<string>>): boolean {
  const t = now.getTime();
  switch (node.op) {
    case 'everyone':
      return true;
    case 'program':
      return (node.in as string[]).includes(member.program);
    case 'status':
      return (node.in as string[]).includes(member.status ?? 'active');
    case 'tags': {
      const tags = member.tags ?? [];
      return node.match === 'any' ? node.tags.some((x) => tags.includes(x)) : node.tags.every((x) => tags.includes(x));
    }
    case 'country':
      return member.country != null && node.in.includes(member.country);
    case 'timezone':
      return node.in.includes(member.timezone ?? 'UTC');
    case 'date': {
      const d = dateOf(member, node.field);
      if (d === undefined) return false;
      const at = new Date(node.at).getTime();
      return node.cmp === 'before' ? d < at : d > at;
    }
    case 'relativeDate': {
      const d = dateOf(member, node.field);
      if (d === undefined) return false;
      const span = node.days * DAY_MS;
      switch (node.cmp) {
        case 'withinLast':
          return d >= t - span && d <= t;
        case 'moreThanAgo':
          return d < t - span;
        case 'withinNext':
          return d >= t && d <= t + span;
        case 'moreThanAhead':
          return d > t + span;
      }
      return false;
    }
    case 'attribute': {
      const v = attributeOf(member, node.key);
      if (node.cmp === 'exists') return v !== undefined;
      const want = node.value;
      switch (node.cmp) {
        case 'eq':
          return v === want;
        case 'ne':
          return v !== want;
        case 'in':
          return Array.isArray(want) && (want as unknown[]).includes(v);
        default: {
          if (typeof v !== typeof want || (typeof v !== 'number' && typeof v !== 'string')) return false;
          const a = v as number | string;
          const b = want as number | string;
          return node.cmp === 'gt' ? a > b : node.cmp === 'gte' ? a >= b : node.cmp === 'lt' ? a < b : a <= b;
        }
      }
    }
    case 'engaged': {
      if (node.campaign) {
        const key = `${node.action}:${node.campaign}:${node.withinDays}`;
        return engagedIds?.get(key)?.has(String(member._id)) ?? false;
      }
      const d = dateOf(member, node.action === 'opened' ? 'lastOpenedAt' : 'lastClickedAt');
      return d !== undefined && d >= t - node.withinDays * DAY_MS;
    }
    case 'notEmailed': {
      const d = dateOf(member, 'lastEmailedAt');
      return d === undefined || d < t - node.withinDays * DAY_MS;
    }
    case 'and':
      return node.of.every((n) => matchesSegment(n, member, now, engagedIds));
    case 'or':
      return node.of.some((n) => matchesSegment(n, member, now, engagedIds));
    case 'not':
      return !matchesSegment(node.of, member, now, engagedIds);
  }
}
