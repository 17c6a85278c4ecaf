// Sample template data for each step of a campaign, produced by running the real planner
// on synthetic members and content, so `flywheel validate` checks templates against the
// data they will actually receive.
import { simulate } from './simulate.ts';
import type { PlannedSend, PlannerMember } from '../campaigns/plan-types.ts';
import { kindOf, type StepMessage } from '../campaigns/kinds/index.ts';
import type { LoadedCampaign } from '../campaigns/types.ts';

const DAY = 86_400_000;
/** Fixed reference instant: samples must not depend on the wall clock. */
const REF = new Date('2030-01-07T12:00:00Z');

export type { StepMessage };

/** Every message of a campaign with its step id and field path (its kind's messages). */
export function stepMessages(c: LoadedCampaign): StepMessage[] {
  return kindOf(c.definition).messages(c.definition);
}

function sampleMember(c: LoadedCampaign, id: string, at: Date): PlannerMember {
  const program = c.definition.audience ? findProgram(c.definition.audience.node) : undefined;
  return {
    _id: id, email: `${id}@example.org`, name: 'Sample Member', program: program ?? Object.keys(c.programs ?? {})[0] ?? 'sample', status: 'active', timezone: 'UTC',
    awardedAt: at, appliedAt: at, createdAt: at, expiresAt: new Date(at.getTime() + 40 * DAY), tags: [], attributes: {},
    ...kindOf(c.definition).sampleMember?.(c.definition, at),
  };
}

function findProgram(node: unknown): string | undefined {
  const n = node as { op?: string; in?: string[]; of?: unknown };
  if (n.op === 'program') return n.in?.[0];
  if (n.op === 'and' && Array.isArray(n.of)) for (const x of n.of) { const p = findProgram(x); if (p) return p; }
  return undefined;
}

/** The first planned send of each step in a short simulation (steps that never fire are absent). */
export function sampleSends(c: LoadedCampaign): Map<string, PlannedSend> {
  const def = c.definition;
  const kind = kindOf(def);
  const from = kind.sampleFrom?.(def, REF) ?? REF;
  const member = (id: string) => sampleMember(c, id, new Date(from.getTime() + DAY));
  const tags = [...(kind.content?.(def).tags ?? [])];
  const content = [0, 1, 2].map((i) => ({
    guid: `sample-${i}`, title: `Sample item ${i}`, url: `https://example.org/${i}`, summary: 'A sample summary.', imageUrl: 'https://example.org/i.png', imageAlt: 'Sample',
    tags, programs: [], publishedAt: new Date(from.getTime() + (2 + i) * DAY),
  }));
  const out = new Map<string, PlannedSend>();
  const runs: Array<{ opens: boolean; rsvp?: 'yes' }> = [{ opens: false }, { opens: true, rsvp: 'yes' }];
  for (const run of runs) {
    const plan = simulate({ campaign: c, members: [member(`sample${run.opens ? 'a' : 'b'}`)], content, from, days: 420, opens: () => run.opens, rsvp: () => run.rsvp });
    for (const send of plan) if (!out.has(send.step)) out.set(send.step, send);
  }
  return out;
}
