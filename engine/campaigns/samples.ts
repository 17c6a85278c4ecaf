// Sample template data for each step of a campaign, produced by running the real planner
// on synthetic members and content, so `flywheel validate` checks templates against the
// data they will actually receive.
import { simulate } from '../planner/simulate.ts';
import type { PlannedSend, PlannerMember } from '../planner/types.ts';
import { eventTimes } from '../planner/event.ts';
import { instantOrLocal } from '../planner/time.ts';
import { APPLICATION_STEPS, type LoadedCampaign, type MessageSpec } from './types.ts';

const DAY = 86_400_000;
/** Fixed reference instant: samples must not depend on the wall clock. */
const REF = new Date('2030-01-07T12:00:00Z');

export interface StepMessage {
  step: string;
  /** field path of the message in the definition, e.g. `steps[2]` or `invite` */
  path: string;
  spec: MessageSpec;
}

export function stepMessages(c: LoadedCampaign): StepMessage[] {
  const def = c.definition;
  switch (def.kind) {
    case 'drip':
    case 'renewal':
      return def.steps.map((s, i) => ({ step: s.id, path: `steps[${i}]`, spec: s }));
    case 'newsletter':
      return [{ step: 'issue', path: '', spec: def }];
    case 'case-study':
      return [{ step: 'promote', path: '', spec: def }];
    case 'broadcast':
      return [{ step: 'send', path: '', spec: def }];
    case 'application':
      return APPLICATION_STEPS.filter((s) => def.messages[s]).map((s) => ({ step: s, path: `messages.${s}`, spec: def.messages[s]! }));
    case 'event':
      return [
        { step: 'invite', path: 'invite', spec: def.invite },
        ...(def.reminder ? [{ step: 'reminder', path: 'reminder', spec: def.reminder }] : []),
        ...(def.dayBefore ? [{ step: 'day-before', path: 'dayBefore', spec: def.dayBefore }] : []),
      ];
  }
}

function sampleMember(c: LoadedCampaign, id: string, at: Date): PlannerMember {
  const program = c.definition.audience ? findProgram(c.definition.audience.node) : undefined;
  return {
    _id: id, email: `${id}@example.org`, name: 'Sample Member', program: program ?? Object.keys(c.programs ?? {})[0] ?? 'sample', status: 'active', timezone: 'UTC',
    awardedAt: at, appliedAt: at, createdAt: at, expiresAt: new Date(at.getTime() + 40 * DAY), tags: [], attributes: {},
    ...(c.definition.kind === 'application' ? { program: c.definition.program, applicationEvents: sampleApplicationEvents(c.definition.program, at) } : {}),
  };
}

/** One application that went through every step, a day apart, so each message has sample data. */
function sampleApplicationEvents(program: string, at: Date) {
  return APPLICATION_STEPS.map((type, i) => ({
    id: `app-sample:${type}`, application: 'app-sample', program, type, at: new Date(at.getTime() + i * DAY),
    reason: type === 'received' ? undefined : 'A sample reason.', dueDate: 'Friday 18 January 2030',
  }));
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
  let from = REF;
  if (def.kind === 'event') from = new Date(eventTimes(def).start.getTime() - 400 * DAY);
  if (def.kind === 'broadcast') from = new Date(instantOrLocal(def.at, 'UTC').getTime() - DAY);
  const member = (id: string) => sampleMember(c, id, new Date(from.getTime() + DAY));
  const tags = def.kind === 'case-study' ? def.tags : def.kind === 'newsletter' ? (def.digest.tags ?? []) : [];
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
