// Why the events API refused a request, as a Prometheus label: a closed set derived from the
// answer's status, so every refusal is counted once, wherever it was decided (body parser, token
// guard, validation, Kafka).

export const REFUSAL_REASONS = [
  /** 400: not JSON, a malformed body or account id, an aborted request. */
  'malformed',
  'unauthorized',
  'not_found',
  /** 413: the body or an event over the size limit. */
  'too_large',
  'unsupported_encoding',
  /** 422: an unknown event, an invalid field, an account id that does not match. */
  'validation',
  /** 429: the account published faster than its rate limit (Retry-After says when to try again). */
  'rate_limited',
  /** 503: Kafka unreachable or refusing the write (the client retries). */
  'kafka_unavailable',
  'internal_error',
  'other',
] as const;

export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** The refusal an HTTP status stands for; null when the request was not refused (< 400). */
export function refusalReasonOf(status: number): RefusalReason | null {
  if (status < 400) return null;
  switch (status) {
    case 400:
      return 'malformed';
    case 401:
    case 403:
      return 'unauthorized';
    case 404:
    case 405:
      return 'not_found';
    case 413:
      return 'too_large';
    case 415:
      return 'unsupported_encoding';
    case 422:
      return 'validation';
    case 429:
      return 'rate_limited';
    case 503:
      return 'kafka_unavailable';
    default:
      return status >= 500 ? 'internal_error' : 'other';
  }
}
