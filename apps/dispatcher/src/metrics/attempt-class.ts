// The class an attempt is counted under in Prometheus: what an SRE tells apart on a dashboard (the
// receiver refused, is down, is slow, throttles us, or we gave up), from the attempt's outcome and
// its failure class (the one the health rollups use, libs/events delivery-records.ts). A small
// closed set, so it is safe as a label.
import type { AttemptOutcome, FailureClass } from '@vowchat/events';

export const ATTEMPT_CLASSES = [
  'delivered',
  /** Not retried: a 4xx, a redirect, 410 Gone, a blocked address, an internal error. */
  'failed',
  /** Retried after a 5xx (or a status outside 1xx-5xx). */
  'retried_5xx',
  /** Retried after 408 or 429. */
  'throttled',
  'timeout',
  /** Retried after refused, reset or unreachable connections, DNS, TLS or protocol failures. */
  'connection_error',
  /** The last scheduled attempt failed: no more retries. */
  'dead',
] as const;

export type AttemptClass = (typeof ATTEMPT_CLASSES)[number];

// Only retriable classes reach a 'retrying' outcome; the others are listed so that a new failure
// class has to be placed here (a compile error otherwise).
const RETRIED: Readonly<Record<FailureClass, AttemptClass>> = {
  timeout: 'timeout',
  connection: 'connection_error',
  http_5xx: 'retried_5xx',
  throttled: 'throttled',
  http_4xx: 'failed',
  gone: 'failed',
  redirect: 'failed',
  internal: 'failed',
};

/** The class of one attempt; `failureClass` is null when it delivered. */
export function attemptClassOf(outcome: AttemptOutcome, failureClass: FailureClass | null): AttemptClass {
  switch (outcome) {
    case 'delivered':
      return 'delivered';
    case 'failed':
      return 'failed';
    case 'dead':
      return 'dead';
    case 'retrying':
      return failureClass === null ? 'connection_error' : RETRIED[failureClass];
    default: {
      const unknown: never = outcome;
      throw new Error(`unhandled attempt outcome ${String(unknown)}`);
    }
  }
}
