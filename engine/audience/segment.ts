// Segments: who a campaign is for, written with a typed builder and kept as plain
// data (so a definition can be hashed, validated and printed). `compile.ts` turns a
// segment into a MongoDB filter; `match.ts` evaluates it against one member in memory.
import type { Topic } from '../store/models.ts';
import { MEMBER_STATUSES } from '../store/models.ts';
import type { Program } from './programs.ts';

export type { Program };
export type MemberStatus = (typeof MEMBER_STATUSES)[number];
export type { Topic };

/** Member date fields a segment (or a drip entry) can be anchored on. */
export const MEMBER_DATE_FIELDS = ['appliedAt', 'awardedAt', 'expiresAt', 'lastEmailedAt', 'lastOpenedAt', 'lastClickedAt', 'createdAt'] as const;
export type MemberDateField = (typeof MEMBER_DATE_FIELDS)[number];

export type AttributeValue = string | number | boolean;
export type AttributeComparison = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'exists';

/**
 * The segment language, as data. Nodes that need send-log records (opened/clicked a
 * *specific* campaign) are resolved in a first phase by `audienceFilter`; everything
 * else compiles straight to a member filter.
 */
export type SegmentNode =
  | { op: 'everyone' }
  // names as data; `where.program` restricts them to the declared programs at compile time
  | { op: 'program'; in: string[] }
  | { op: 'status'; in: MemberStatus[] }
  | { op: 'tags'; match: 'any' | 'all'; tags: string[] }
  | { op: 'country'; in: string[] }
  | { op: 'timezone'; in: string[] }
  | { op: 'date'; field: MemberDateField; cmp: 'before' | 'after'; at: string }
  | { op: 'relativeDate'; field: MemberDateField; cmp: 'withinLast' | 'moreThanAgo' | 'withinNext' | 'moreThanAhead'; days: number }
  | { op: 'attribute'; key: string; cmp: AttributeComparison; value?: AttributeValue | AttributeValue[] }
  | { op: 'engaged'; action: 'opened' | 'clicked'; campaign?: string; withinDays: number }
  | { op: 'notEmailed'; withinDays: number }
  | { op: 'and'; of: SegmentNode[] }
  | { op: 'or'; of: SegmentNode[] }
  | { op: 'not'; of: SegmentNode };

/**
 * A segment with a phantom marker of what it needs: 'member' segments can be evaluated
 * on a member document alone (allowed in drip entry/exit conditions); 'sendlog' ones
 * need send-log records (only allowed as a campaign audience).
 */
export interface Segment<Needs extends 'member' | 'sendlog' = 'member' | 'sendlog'> {
  readonly node: SegmentNode;
  /** phantom: never set at runtime */
  readonly __needs?: Needs;
}

/** A segment with a name, reusable across campaigns and countable with `flywheel segments count NAME`. */
export interface NamedSegment<Needs extends 'member' | 'sendlog' = 'member' | 'sendlog'> extends Segment<Needs> {
  readonly name: string;
}

type NeedsOf<S> = S extends Segment<infer N> ? N : never;

const seg = <N extends 'member' | 'sendlog'>(node: SegmentNode): Segment<N> => ({ node });

/** Give a segment a name so campaigns can share it and the CLI can count it. */
export function defineSegment<N extends 'member' | 'sendlog'>(name: string, segment: Segment<N>): NamedSegment<N> {
  return { name, node: segment.node };
}

/** The segment builder program managers use: `where.program('education')`, `and(...)`, ... */
export const where = {
  everyone: (): Segment<'member'> => seg({ op: 'everyone' }),
  program: (...programs: [Program, ...Program[]]): Segment<'member'> => seg({ op: 'program', in: programs }),
  status: (...statuses: [MemberStatus, ...MemberStatus[]]): Segment<'member'> => seg({ op: 'status', in: statuses }),
  hasAnyTag: (...tags: [string, ...string[]]): Segment<'member'> => seg({ op: 'tags', match: 'any', tags }),
  hasAllTags: (...tags: [string, ...string[]]): Segment<'member'> => seg({ op: 'tags', match: 'all', tags }),
  country: (...countries: [string, ...string[]]): Segment<'member'> => seg({ op: 'country', in: countries }),
  timezone: (...zones: [string, ...string[]]): Segment<'member'> => seg({ op: 'timezone', in: zones }),
  /** absolute: the member's date field is before / after an ISO date (e.g. '2026-01-01') */
  dateBefore: (field: MemberDateField, at: string): Segment<'member'> => seg({ op: 'date', field, cmp: 'before', at }),
  dateAfter: (field: MemberDateField, at: string): Segment<'member'> => seg({ op: 'date', field, cmp: 'after', at }),
  /** relative to now: `withinLast('awardedAt', 30)` = awarded in the last 30 days */
  withinLast: (field: MemberDateField, days: number): Segment<'member'> => seg({ op: 'relativeDate', field, cmp: 'withinLast', days }),
  moreThanAgo: (field: MemberDateField, days: number): Segment<'member'> => seg({ op: 'relativeDate', field, cmp: 'moreThanAgo', days }),
  withinNext: (field: MemberDateField, days: number): Segment<'member'> => seg({ op: 'relativeDate', field, cmp: 'withinNext', days }),
  moreThanAhead: (field: MemberDateField, days: number): Segment<'member'> => seg({ op: 'relativeDate', field, cmp: 'moreThanAhead', days }),
  /** custom attribute comparison, e.g. `attribute('seats', 'gte', 10)`; keys may be dotted */
  attribute: <C extends AttributeComparison>(
    key: string,
    cmp: C,
    ...value: C extends 'exists' ? [] : C extends 'in' ? [AttributeValue[]] : [AttributeValue]
  ): Segment<'member'> => seg({ op: 'attribute', key, cmp, ...(value.length ? { value: value[0] } : {}) }),
  /** opened any email in the last N days (member rollup) */
  openedAnyWithin: (days: number): Segment<'member'> => seg({ op: 'engaged', action: 'opened', withinDays: days }),
  clickedAnyWithin: (days: number): Segment<'member'> => seg({ op: 'engaged', action: 'clicked', withinDays: days }),
  /** opened an email of campaign X in the last N days (answered from send-log records) */
  openedCampaign: (campaign: string, withinDays: number): Segment<'sendlog'> => seg({ op: 'engaged', action: 'opened', campaign, withinDays }),
  clickedCampaign: (campaign: string, withinDays: number): Segment<'sendlog'> => seg({ op: 'engaged', action: 'clicked', campaign, withinDays }),
  /** received no email at all in the last N days (member rollup) */
  notEmailedWithin: (days: number): Segment<'member'> => seg({ op: 'notEmailed', withinDays: days }),
};

export function and<const S extends readonly Segment[]>(...of: S): Segment<NeedsOf<S[number]>> {
  return seg({ op: 'and', of: of.map((s) => s.node) });
}
export function or<const S extends readonly Segment[]>(...of: S): Segment<NeedsOf<S[number]>> {
  return seg({ op: 'or', of: of.map((s) => s.node) });
}
export function not<N extends 'member' | 'sendlog'>(of: Segment<N>): Segment<N> {
  return seg({ op: 'not', of: of.node });
}
