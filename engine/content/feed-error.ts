// Why a feed could not be read. The code is stable (tests, `feeds list`, scripts); the message
// says what the operator sees and can act on. A failed poll is recorded, never retried in a loop.
import { FlywheelError } from '../errors.ts';

export type FeedErrorCode =
  | 'FEED_URL_INVALID' | 'FEED_NETWORK' | 'FEED_TIMEOUT' | 'FEED_HTTP' | 'FEED_REDIRECTS'
  | 'FEED_TOO_LARGE' | 'FEED_ENCODING' | 'FEED_NOT_A_FEED' | 'FEED_MALFORMED';

export class FeedError extends FlywheelError {
  declare readonly code: FeedErrorCode;
  constructor(code: FeedErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
