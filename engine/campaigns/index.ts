// The campaigns stage: the typed DSL program managers write, loading and validation of
// campaigns/*.ts, and registration (lifecycle, versioning) in the database.
export { defineCampaign, days, hours, minutes } from './define.ts';
export { definePrograms, validatePrograms, PROGRAMS_FILE } from './programs.ts';
export type { Register, ProgramDefinition, ProgramTable, ProgramView, RenewalPeriod, ProgramApplications } from '../audience/programs.ts';
export { loadCampaigns, loadPrograms, validateDefinition, stepIdsOf, definitionVersion, isCampaignFile, importFresh } from './load.ts';
export { registerCampaigns, setCampaignState, type RegistrationReport } from './register.ts';
export type * from './types.ts';
export { APPLICATION_STEPS } from './types.ts';
export { BUILT_IN_KINDS, registerKind, kindOf, findKind, kindNames, allKinds, type CampaignKindModule, type StepMessage, type KindPlanContext, type ContentNeeds } from './kinds/index.ts';
export { where, and, or, not, defineSegment, type Segment, type NamedSegment } from '../audience/segment.ts';
