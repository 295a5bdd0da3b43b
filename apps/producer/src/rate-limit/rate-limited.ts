// The answer to an account publishing faster than its rate: 429 with Retry-After (whole seconds),
// in the API's error shape. Nothing of the request was published.
import { errorResponse, type ErrorResponse } from '../http/api-error';
import type { PublishRateLimit } from './account-rate-limits';

export function rateLimitedResponse(
  accountId: number,
  waitMs: number,
  limit: PublishRateLimit,
): ErrorResponse {
  const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
  return {
    ...errorResponse(
      429,
      'rate_limited',
      `Account ${accountId} is publishing faster than its limit of ${limit.perSecond} events per second (bursts of ${limit.burst}); nothing was published. Retry after ${retryAfterSeconds} s.`,
    ),
    retryAfterSeconds,
  };
}
