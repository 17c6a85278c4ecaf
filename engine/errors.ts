// One error family for the whole engine. Each error carries a stable `code`
// so the CLI, the HTTP layer and the scheduler can decide what to do next
// (tell the user to fix a file, retry later, fail the record for good).

export class FlywheelError extends Error {
  readonly code: string;
  readonly hint?: string;
  constructor(code: string, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options?.hint;
  }
}

/** One problem in user input, located as precisely as we can. */
export interface InputIssue {
  /** file path, relative to the project root when possible */
  file?: string;
  /** 1-based line number in the file */
  line?: number;
  /** campaign, template or row the problem belongs to */
  subject?: string;
  /** dotted field path, e.g. `steps[1].delay` */
  path?: string;
  message: string;
}

export function formatIssue(issue: InputIssue): string {
  const where = [issue.file && (issue.line ? `${issue.file}:${issue.line}` : issue.file), issue.subject, issue.path]
    .filter(Boolean)
    .join(' › ');
  return where ? `${where}: ${issue.message}` : issue.message;
}

/** User input (campaign files, templates, CSV rows, config) is wrong; nothing was written. */
export class InvalidInputError extends FlywheelError {
  readonly issues: InputIssue[];
  constructor(code: string, summary: string, issues: InputIssue[], hint?: string) {
    super(code, `${summary}\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`, { hint });
    this.issues = issues;
  }
}

/** Delivery failed in a way that may succeed later (SMTP 4xx, HTTP 429/5xx, network). Retry with backoff. */
export class TransientError extends FlywheelError {
  /** provider asked us to wait at least this long (e.g. Retry-After) */
  readonly retryAfterMs?: number;
  constructor(message: string, options?: { retryAfterMs?: number; cause?: unknown; code?: string }) {
    super(options?.code ?? 'DELIVERY_TRANSIENT', message, { cause: options?.cause });
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** Delivery failed for good (SMTP 5xx, HTTP 400). Mark the record failed; `suppress` says the address is dead. */
export class PermanentError extends FlywheelError {
  readonly suppress: boolean;
  constructor(message: string, options?: { suppress?: boolean; cause?: unknown; code?: string }) {
    super(options?.code ?? 'DELIVERY_PERMANENT', message, { cause: options?.cause });
    this.suppress = options?.suppress ?? false;
  }
}
