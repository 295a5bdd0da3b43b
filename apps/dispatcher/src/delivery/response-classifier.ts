// What one attempt's result means for the delivery. Pure: the sender reports, this decides.
import type { FailureClass } from '@vowchat/events';
import { FAILURE_CLASS_OF, failureFromStatus } from './delivery-error';
import type { SendResult } from './webhook-sender';

export type Verdict =
  | { kind: 'delivered' }
  /** Try again; `retryAfterMs` is the receiver's own request (Retry-After), clamped, when it made one. */
  | { kind: 'retry'; reason: string; retryAfterMs: number | null }
  /** Do not try again. */
  | { kind: 'fail'; reason: string }
  /** 410 Gone: do not try again, and disable the webhook. */
  | { kind: 'gone'; reason: string };

// Statuses whose Retry-After we honour: 408 and 429 as the spec says, and 503, whose Retry-After
// RFC 9110 defines the same way (how long the service expects to be unavailable).
const HONOURS_RETRY_AFTER = new Set([408, 429, 503]);

/**
 * Rules (the spec's, as Svix and Stripe apply them): 2xx delivered; 3xx fail (redirects are not
 * followed); 410 gone; 408 and 429 retry after Retry-After; other 4xx fail; 5xx retry; no answer
 * (timeout, refused, reset, DNS) retry, except a blocked address or an unbuildable request; any
 * other status (a 1xx as final answer, 600+) retry, since it points at a broken proxy, not a refusal.
 */
export function classifyResult(result: SendResult, retryAfterCapMs: number, now: Date): Verdict {
  const failure =
    result.failure ?? (result.statusCode === null ? null : failureFromStatus(result.statusCode));
  if (failure === null) {
    if (result.statusCode === null) throw new Error('a SendResult needs a statusCode or a failure');
    return { kind: 'delivered' };
  }
  if (failure.reason === 'gone') return { kind: 'gone', reason: failure.reason };
  if (!failure.retriable) return { kind: 'fail', reason: failure.reason };
  const retryAfterMs =
    result.statusCode !== null && HONOURS_RETRY_AFTER.has(result.statusCode)
      ? parseRetryAfter(result.retryAfter, retryAfterCapMs, now)
      : null;
  return { kind: 'retry', reason: failure.reason, retryAfterMs };
}

/**
 * The class an attempt's result is counted under: null when delivered, `internal` for a result
 * with neither an answer nor a network failure (an attempt that crashed on our side). Reads the
 * result exactly as classifyResult does.
 */
export function failureClassOf(result: Pick<SendResult, 'statusCode' | 'failure'>): FailureClass | null {
  const failure =
    result.failure ?? (result.statusCode === null ? null : failureFromStatus(result.statusCode));
  if (failure !== null) return FAILURE_CLASS_OF[failure.reason];
  return result.statusCode === null ? 'internal' : null;
}

// The three HTTP-date forms recipients must accept (RFC 9110 §5.6.7): IMF-fixdate, RFC 850, asctime.
const GMT_DATE = /^[A-Z][a-z]{2,8}, \d{2}[ -][A-Z][a-z]{2}[ -]\d{2}(\d{2})? \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * Retry-After as milliseconds from `now`, clamped to [0, capMs]: delay-seconds or an HTTP-date.
 * Absent or unparseable: null. Date.parse alone is too lenient ("1 x" is a date to it), hence the shapes.
 */
export function parseRetryAfter(value: string | null, capMs: number, now: Date): number | null {
  if (value === null) return null;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else if (GMT_DATE.test(text)) ms = Date.parse(text) - now.getTime();
  else if (ASCTIME_DATE.test(text)) ms = Date.parse(`${text} GMT`) - now.getTime();
  else return null;
  if (Number.isNaN(ms)) return null;
  return Math.min(Math.max(ms, 0), capMs);
}
