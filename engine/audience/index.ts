// The audience stage: segments (builder, Mongo compilation, in-memory matching), campaign
// audiences, and member data in and out (import, export, erasure).
export * from './segment.ts';
export { compileSegment, sendlogNodes, sendlogNodeKey, type MemberFilter } from './compile.ts';
export { matchesSegment, type MatchableMember } from './match.ts';
export { audienceFilter, segmentFilter, campaignTopic } from './filter.ts';
export { loadNamedSegments, type SegmentEntry } from './segments-file.ts';
export { importMembers, openMemberFile, type ImportResult, type ImportOptions } from './members/import.ts';
export { exportMember, eraseMember } from './members/privacy.ts';
export type FilterQuery = import('./compile.ts').MemberFilter;
