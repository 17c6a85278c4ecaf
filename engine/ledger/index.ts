// The send ledger: the one owner of send-log records, payloads, batches, leases, results,
// retry batches and suppressions. Other stages ask it through these named queries and never
// touch its collections (test/ledger/ownership.test.ts fails the build if one does).
export type { BatchRecipient, ResultStatus, SendResultDoc, SendOutcome, ResultPageDoc, SendLogDoc } from './models.ts';
export {
  recordPlannedSends, campaignSends, sendMembersOfStep, sendsDueSince, countSendsOfStep, cancelPendingSends, sendForTracking,
  recordFirstOpen, recordFirstClick, recordFirstEngagements, membersWhoEngaged, type PlannedSendRecord, type CampaignSend,
} from './send-log.ts';
export {
  storePayloads, payloadById, createBatches, batchById, unfinishedBatchesOfStep, markBatchFinished, postponeBatch, overdueBatchIds, countUnfinishedBatchesDue,
  retryBatchId, recordRetryBatch, retryBatchesOfEarlierRuns, type PayloadRecord, type BatchRecord, type StoredBatch, type RetryKind,
} from './batches.ts';
export { claimBatchRun, extendBatchLease, endBatchLease, type BatchRun } from './leases.ts';
export { resultKey, resultPageId, recordResultPage, settledByEarlierRuns, recordedResults, resultCountsOfStep, countDelivered } from './results.ts';
export { suppressionKey, blockingKeys, suppressedKeys, suppress, liftTopicSuppression, suppressionsOf, forgottenKey, forgetAddress, forgottenAddresses, type SuppressionReason } from './suppressions.ts';
export { ledgerRecordOf, eraseMemberFromLedger } from './privacy.ts';
export { sendRecipientPages, resultPages, type ResultFact } from './pages.ts';
