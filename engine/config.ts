// Environment variables -> one typed, validated Config. Every default here is
// documented in README.md ("Configuration"); keep the two in step.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInputError } from './errors.ts';
import { loadOrCreateSecret, secretProblem } from './secret.ts';

const positiveInt = z.coerce.number().int().positive();
const nonNegative = z.coerce.number().nonnegative();

const schema = z.object({
  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://').optional(),
  FLYWHEEL_DB_NAME: z.string().regex(/^[A-Za-z0-9_-]+$/).default('flywheel'),
  FLYWHEEL_DATA_DIR: z.string().default('.data'),
  FLYWHEEL_CAMPAIGNS_DIR: z.string().default('campaigns'),
  FLYWHEEL_TEMPLATES_DIR: z.string().default('templates'),
  /** Markdown content items (front matter + body) */
  FLYWHEEL_CONTENT_DIR: z.string().default('content'),
  /** one feed request, connect to last byte */
  FLYWHEEL_FEED_TIMEOUT_MS: positiveInt.default(10_000),
  /** feed bodies larger than this are refused */
  FLYWHEEL_FEED_MAX_BYTES: positiveInt.default(5 * 1024 * 1024),
  FLYWHEEL_FEED_MAX_REDIRECTS: z.coerce.number().int().nonnegative().default(5),
  FLYWHEEL_TRANSPORT: z.enum(['outbox', 'smtp', 'sendgrid']).default('outbox'),
  FLYWHEEL_OUTBOX_DIR: z.string().default('outbox'),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must look like smtp://user:pass@host:port').default('smtp://127.0.0.1:2525'),
  SMTP_POOL_SIZE: positiveInt.default(5),
  SENDGRID_API_KEY: z.string().optional(),
  SENDGRID_API_URL: z.url().optional(),
  /** the Event Webhook's verification key (SendGrid: Mail Settings > Signed Event Webhook); unset = POST /webhooks/sendgrid answers 503 */
  SENDGRID_WEBHOOK_PUBLIC_KEY: z.string().superRefine((s, ctx) => {
    try { parseWebhookPublicKey(s); } catch (e) { ctx.addIssue({ code: 'custom', message: `${(e as Error).message}; paste the verification key SendGrid shows (base64) or a PEM public key` }); }
  }).optional(),
  /** webhook requests whose signed timestamp is further than this from now are refused (replays) */
  SENDGRID_WEBHOOK_MAX_AGE_S: positiveInt.default(600),
  /** messages per second across this process; 0 = no throttle */
  FLYWHEEL_SEND_RATE: nonNegative.default(0),
  /** messages per UTC day across all workers; 0 = no cap */
  FLYWHEEL_DAILY_CAP: z.coerce.number().int().nonnegative().default(0),
  /** marketing emails one member may receive per rolling 7 days; 0 = no cap */
  FLYWHEEL_FREQUENCY_CAP: z.coerce.number().int().nonnegative().default(3),
  /** categories the frequency cap ignores (comma-separated); renewal notices are 'transactional' */
  FLYWHEEL_CAP_EXEMPT: z.string().default('transactional'),
  FLYWHEEL_BATCH_SIZE: positiveInt.default(500),
  /** how far the JavaScript heap may grow past what a full collection keeps before the next one, in percent; 0 = V8's own choice (up to 4x) */
  FLYWHEEL_HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(300).default(50),
  FLYWHEEL_LEASE_MS: positiveInt.default(120_000),
  FLYWHEEL_MAX_ATTEMPTS: positiveInt.default(6),
  /** ceiling of the delay after a first transient failure; doubles per attempt (tests shorten it) */
  FLYWHEEL_RETRY_BASE_MS: positiveInt.default(30_000),
  FLYWHEEL_FROM: z.string().default('Flywheel DevRel <devrel@flywheel.example>'),
  /** VERP base address: SMTP mail leaves with envelope sender <local>+<token>@<domain>; unset = bounces@<FLYWHEEL_FROM's domain>; 'off' = the From address */
  FLYWHEEL_BOUNCE_ADDRESS: z.string().regex(/^(off|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})$/, "must be an address without '+' such as bounces@mail.example.org, or off").optional(),
  /** where `flywheel bounces serve` listens for the bounces and complaints sent to the VERP addresses */
  FLYWHEEL_BOUNCE_SMTP_HOST: z.string().default('127.0.0.1'),
  FLYWHEEL_BOUNCE_SMTP_PORT: z.coerce.number().int().min(0).max(65535).default(2526),
  FLYWHEEL_POSTAL_ADDRESS: z.string().default('Flywheel DevRel, 1 Example Street, Springfield, USA'),
  FLYWHEEL_PUBLIC_URL: z.url().default('http://127.0.0.1:8787'),
  FLYWHEEL_HTTP_HOST: z.string().default('127.0.0.1'),
  FLYWHEEL_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  /** unset: generated on first start into <FLYWHEEL_DATA_DIR>/secret (owner-only) */
  FLYWHEEL_SECRET: z.string().superRefine((s, ctx) => {
    const problem = secretProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }).optional(),
  FLYWHEEL_DASHBOARD_PASSWORD: z.string().optional(),
  /** application form submissions per IP per minute */
  FLYWHEEL_APPLY_RATE_LIMIT: positiveInt.default(10),
  /** largest application request body, in bytes */
  FLYWHEEL_APPLY_BODY_LIMIT: positiveInt.default(16_384),
  /** zone whose calendar days count as business days (time to award, review due dates) */
  FLYWHEEL_BUSINESS_TIMEZONE: z.string().default('UTC'),
  /** days off, YYYY-MM-DD, comma-separated; Saturdays and Sundays are never business days */
  FLYWHEEL_HOLIDAYS: z.string().default(''),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().default('development'),
});

export type Config = Omit<z.infer<typeof schema>, 'FLYWHEEL_SECRET'> & { FLYWHEEL_SECRET: string };

/** The project root (the folder holding package.json, campaigns/, templates/): relative *_DIR paths start here. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Folder settings, made absolute once here so that every command works from any directory. */
const DIRECTORIES = ['FLYWHEEL_DATA_DIR', 'FLYWHEEL_CAMPAIGNS_DIR', 'FLYWHEEL_TEMPLATES_DIR', 'FLYWHEEL_CONTENT_DIR', 'FLYWHEEL_OUTBOX_DIR'] as const;

/**
 * Parse the environment; every bad variable is named in one error. Relative folder settings
 * (*_DIR) are resolved against PROJECT_ROOT, not the working directory. Without FLYWHEEL_SECRET the
 * secret comes from (or is generated into) the data directory; `announce` hears about a new one.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, announce: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new InvalidInputError(
      'CONFIG_INVALID',
      'Configuration error in environment variables:',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      'Fix the variables above (see README "Configuration" for the defaults) and run again.',
    );
  }
  const data = { ...parsed.data };
  for (const key of DIRECTORIES) data[key] = resolve(PROJECT_ROOT, data[key]);
  const secret = data.FLYWHEEL_SECRET ?? loadOrCreateSecret(data.FLYWHEEL_DATA_DIR, announce);
  return { ...data, FLYWHEEL_SECRET: secret };
}

/** The verification key SendGrid shows (base64 DER SubjectPublicKeyInfo) or a PEM; throws with the reason. */
export function parseWebhookPublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  try {
    key = trimmed.includes('BEGIN PUBLIC KEY')
      ? createPublicKey(trimmed)
      : createPublicKey({ key: Buffer.from(trimmed.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new Error('is not a public key');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('is not an ECDSA P-256 public key');
  return key;
}
