// The planner stage: pure decisions of who receives which step when. No I/O, no clock:
// the scheduler passes `now`; `flywheel plan` passes a virtual one via `simulate`.
export type { PlannedSend, MemberHistory, HistorySend, PlannerMember, PlannerContentItem } from '../campaigns/plan-types.ts';
export { dueSends, candidates, mayReceive, type DueInput } from './due.ts';
export { simulate, type SimulateInput, type MemberChange } from './simulate.ts';
export { nextRunAt } from '../campaigns/next-run.ts';
export { eventCalendar } from '../campaigns/kinds/event.ts';
export { digestItems } from '../campaigns/kinds/newsletter.ts';
