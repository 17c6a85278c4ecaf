// What the engine needs to know of one campaign kind. Each kind is one module in this folder
// and one line in the registry (index.ts); nothing outside this folder branches on a kind.
import type { z } from 'zod';
import type { Topic } from '../../store/models.ts';
import type { Candidate, PlanContext, PlannerMember } from '../plan-types.ts';
import type { SegmentNode } from '../../audience/segment.ts';
import type { MemberFilter } from '../../audience/compile.ts';
import type { ProgramTable } from '../../audience/programs.ts';
import type { MessageSpec } from '../types.ts';

/** One message a campaign can send: its step id, where it sits in the definition, what it says. */
export interface StepMessage {
  step: string;
  /** field path of the message in the definition, e.g. `steps[2]` or `invite` ('' = the definition itself) */
  path: string;
  spec: MessageSpec;
}

/** The planner's context plus the campaign's name (event invitations name their calendar entry after it). */
export interface KindPlanContext extends PlanContext {
  campaign: string;
  /** the project's programs (absent for a campaign built in code without them) */
  programs?: ProgramTable;
}

/** Which content items a kind reads: newest first, published within `lookbackDays` of now. */
export interface ContentNeeds {
  lookbackDays: number;
  /** only items carrying one of these tags (none: every item) */
  tags?: readonly string[];
}

export interface CampaignKindModule<D extends { kind: string; name: string }> {
  kind: D['kind'];
  /** one line for `flywheel campaigns list --json` and the README */
  description: string;
  /** zod schema of a definition of this kind (validated when files load) */
  schema: z.ZodType;
  /** every message the campaign sends, in definition order; their `step`s are the step ids */
  messages(def: D): StepMessage[];
  /** the topic a member must be subscribed to (and their program must offer); none for transactional kinds */
  topic(def: D): Topic | undefined;
  /** every send the campaign would make for one member up to ctx.horizon (pure; history decides what is left) */
  candidates(def: D, ctx: KindPlanContext): Candidate[];
  /**
   * When the campaign next has campaign-wide work: a time, 'continuous' when it is planned
   * per member on every tick (drips, renewals), undefined when nothing is left.
   */
  nextRun(def: D, now: Date): Date | 'continuous' | undefined;
  /**
   * Ask the planner again at send time whether each recipient is still due: 'no' (members'
   * state is checked through suppressions), 'member' (re-read the member), 'history' (also
   * their history with this campaign, for steps that depend on earlier sends).
   */
  recheckAtSend: 'no' | 'member' | 'history';
  /** member conditions besides the audience (a drip's entry and exit), with their field paths, so the loader checks their programs */
  conditions?(def: D): Array<{ path: string; node: SegmentNode }>;
  /** program names the definition itself refers to (beyond segments), with their field paths, checked at load */
  programRefs?(def: D): Array<{ path: string; program: string }>;
  /** a member filter the kind adds to the audience (in the database, before planning) */
  audience?(def: D, now: Date): MemberFilter;
  /** fields a sample member needs for every step of this kind to fire (validate, preview --sample) */
  sampleMember?(def: D, at: Date): Partial<PlannerMember>;
  /** the content this kind reads (digests, promotions); absent when it reads none */
  content?(def: D): ContentNeeds;
  /** where a sample simulation (validate, preview --sample) starts so every step fires; default `ref` */
  sampleFrom?(def: D, ref: Date): Date;
  /**
   * What this kind's sends are to the reports, if anything special: renewal reminders (a renewal
   * soon after one is that step's conversion) or case-study promotions (their clicks count as
   * participation).
   */
  reportsAs?: 'renewal-reminder' | 'case-study-promotion';
}

/** A kind module of any definition type, as the registry holds it. */
export type AnyKindModule = CampaignKindModule<any>;
