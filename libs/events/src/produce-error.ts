// What a failed produce means, read from kafkajs's errors: the broker's error type sits on a
// KafkaJSProtocolError, often wrapped (KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded)
// as the `cause`. Pure, so the publisher and the producer API decide from the same table.

/** Broker errors that refuse the records themselves: sending them again can never succeed. */
const RECORD_REFUSALS: Readonly<Record<string, 'too_large' | 'invalid'>> = {
  MESSAGE_TOO_LARGE: 'too_large',
  RECORD_LIST_TOO_LARGE: 'too_large',
  INVALID_RECORD: 'invalid',
  INVALID_TIMESTAMP: 'invalid',
};

/** The broker's error in `error` or its causes: its type (e.g. `MESSAGE_TOO_LARGE`) and whether kafkajs retries it. */
export function kafkaProtocolError(error: unknown): { type: string; retriable: boolean } | undefined {
  let current: unknown = error;
  for (let hops = 0; hops < 8 && current instanceof Error; hops++) {
    const { type, retriable } = current as Error & { type?: unknown; retriable?: unknown };
    if (typeof type === 'string') return { type, retriable: retriable !== false };
    current = current.cause;
  }
  return undefined;
}

/** The broker's error type (e.g. `MESSAGE_TOO_LARGE`) in `error` or its causes, if any. */
export function kafkaErrorType(error: unknown): string | undefined {
  return kafkaProtocolError(error)?.type;
}

/** Whether the broker refused the records for their size or content (never retriable), and how. */
export function recordRefusal(error: unknown): 'too_large' | 'invalid' | undefined {
  const type = kafkaErrorType(error);
  return type === undefined ? undefined : RECORD_REFUSALS[type];
}

// The producer's idempotent state went out of step with the broker's (or the broker forgot it):
// a new producer (a new producer id) sends the same records successfully.
const PRODUCER_STATE_ERRORS = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'DUPLICATE_SEQUENCE_NUMBER',
  'INVALID_PRODUCER_EPOCH',
  'UNKNOWN_PRODUCER_ID',
]);

/** True for a broker error that a new producer id cures (the records are fine). */
export function isProducerStateError(type: string): boolean {
  return PRODUCER_STATE_ERRORS.has(type);
}
