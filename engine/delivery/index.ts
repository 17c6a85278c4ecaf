// The delivery stage's public face: the Transport port, the three transports,
// pacing (rate, daily cap), retry and timing decisions, and the factory that
// picks a transport from configuration. Other stages import only from here.
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { InvalidInputError } from '../errors.ts';
import { createOutboxTransport } from './outbox.ts';
import { createSendGridTransport } from './sendgrid.ts';
import { createSmtpTransport } from './smtp.ts';
import { createSendRateLimiter, throttleTransport } from './throttle.ts';
import type { Transport } from './transport.ts';
import type { SmtpTransportOptions } from './smtp.ts';

export type { Address, Attachment, OutgoingMessage, SendResult, Transport } from './transport.ts';
export { OutboxTransport, createOutboxTransport, classifyOutboxError, composeRfc822, safeFileSegment } from './outbox.ts';
export type { OutboxFs, OutboxTransportOptions } from './outbox.ts';
export { SendGridTransport, createSendGridTransport, classifySendGridError, retryAfterMsFromHeaders } from './sendgrid.ts';
export type { SendGridTransportOptions } from './sendgrid.ts';
export { SmtpTransport, createSmtpTransport, classifySmtpError, providerIdFromSmtpResponse } from './smtp.ts';
export type { SmtpTransportOptions } from './smtp.ts';
export {
  createSendRateLimiter, throttleTransport, utcDayKey, nextUtcDayStart, grantWithinCap, reserveDailyQuota,
} from './throttle.ts';
export type { SendRateLimiter, DailyCapStore, DailyQuota } from './throttle.ts';
export { backoffDelayMs, decideRetry, defaultRetryPolicy } from './retry.ts';
export type { RandomSource, RetryPolicy, RetryDecision } from './retry.ts';
export {
  isSendWindowOpen, nextSendWindowOpen, frequencyCapDecision, earliestSendTime, weekdayBusinessHours, defaultMarketingCap, SEVEN_DAYS_MS,
} from '../planner/send-timing.ts';
export type { Weekday, SendWindow, FrequencyCap, SentEmail, FrequencyCapDecision } from '../planner/send-timing.ts';

type TransportConfig = Pick<
  Config,
  'FLYWHEEL_TRANSPORT' | 'FLYWHEEL_OUTBOX_DIR' | 'SMTP_URL' | 'SMTP_POOL_SIZE' | 'SENDGRID_API_KEY' | 'SENDGRID_API_URL' | 'FLYWHEEL_SEND_RATE'
>;

/**
 * The transport named by FLYWHEEL_TRANSPORT, paced by FLYWHEEL_SEND_RATE (messages per second in
 * this process; 0 = unpaced). The daily cap is not applied here: it needs the shared store and is
 * reserved by the sender per batch (reserveDailyQuota). `returnPath` gives SMTP messages their
 * VERP envelope sender (main.ts builds it from the bounce-token signer).
 */
export function createTransport(config: TransportConfig, deps: { clock: Clock; returnPath?: SmtpTransportOptions['returnPath'] }): Transport {
  const limiter = createSendRateLimiter(config.FLYWHEEL_SEND_RATE);
  switch (config.FLYWHEEL_TRANSPORT) {
    case 'outbox':
      return throttleTransport(createOutboxTransport({ dir: config.FLYWHEEL_OUTBOX_DIR, clock: deps.clock }), limiter);
    case 'smtp':
      return throttleTransport(createSmtpTransport({ url: config.SMTP_URL, poolSize: config.SMTP_POOL_SIZE, returnPath: deps.returnPath }), limiter);
    case 'sendgrid': {
      if (!config.SENDGRID_API_KEY) {
        throw new InvalidInputError('CONFIG_INVALID', 'Configuration error in environment variables:', [
          { path: 'SENDGRID_API_KEY', message: 'is required when FLYWHEEL_TRANSPORT=sendgrid' },
        ]);
      }
      return throttleTransport(
        createSendGridTransport({ apiKey: config.SENDGRID_API_KEY, baseUrl: config.SENDGRID_API_URL, clock: deps.clock }),
        limiter,
      );
    }
  }
}
