// What a bounce report must be, in words: shown in `flywheel bounces ingest --help` (without
// loading the mail parser) and in the error for a file that is neither.
export const EXPECTED = 'a delivery status notification (multipart/report; report-type=delivery-status, RFC 3464) or an abuse report (multipart/report; report-type=feedback-report, RFC 5965)';
