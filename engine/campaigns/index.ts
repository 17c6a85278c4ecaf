// The campaigns stage: the typed DSL program managers write, loading and validation of
// campaigns/*.ts, and registration (lifecycle, versioning) in the database.
export { defineCampaign, days, hours, minutes } from './define.ts';
export { loadCampaigns, validateDefinition, stepIdsOf, definitionVersion, isCampaignFile, importFresh } from './load.ts';
export { registerCampaigns, setCampaignState, type RegistrationReport } from './register.ts';
export type * from './types.ts';
export { CAMPAIGN_KINDS } from './types.ts';
export { where, and, or, not, defineSegment, type Segment, type NamedSegment } from '../audience/segment.ts';
