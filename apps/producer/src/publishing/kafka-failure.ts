// What to answer when Kafka did not take the events: retry later (503) when the failure is passing,
// a 4xx when the broker refused the records themselves (sending them again can never succeed), a
// 500 when Kafka refuses us for a reason only an operator can fix.
import {
  isProducerStateError,
  kafkaProtocolError,
  PublisherClosedError,
  PublishQueueFullError,
  PublishTimeoutError,
  recordRefusal,
} from '@vowchat/events';
import { KafkaJSAggregateError, KafkaJSError } from 'kafkajs';
import { errorResponse, type ErrorResponse } from '../http/api-error';

/**
 * True for errors of the Kafka client (the broker is unreachable, timed out or refused the write)
 * and of the publisher's queue (no acknowledgement in time, too much waiting, closing).
 */
export function isKafkaFailure(error: unknown): error is Error {
  return (
    error instanceof KafkaJSError ||
    error instanceof KafkaJSAggregateError ||
    error instanceof PublishTimeoutError ||
    error instanceof PublishQueueFullError ||
    error instanceof PublisherClosedError
  );
}

/** The answer to a Kafka failure, and whether it is ours to look into (logged as an error). */
export function kafkaFailureResponse(error: Error): ErrorResponse & { unexpected: boolean } {
  if (error instanceof PublishTimeoutError)
    return {
      ...errorResponse(
        503,
        'kafka_timeout',
        `Kafka did not acknowledge the events within ${error.timeoutMs / 1000} s; they may or may not have been published. Retry the request with the same Idempotency-Key header (or event_id), so that receivers get one event under one webhook-id whichever way it went.`,
      ),
      retryAfterSeconds: 1,
      unexpected: false,
    };
  if (error instanceof PublishQueueFullError || error instanceof PublisherClosedError)
    return {
      ...errorResponse(
        503,
        'kafka_backlog',
        `The producer is not taking more events now (${error.message}); nothing was published. Retry the request in a moment.`,
      ),
      retryAfterSeconds: 1,
      unexpected: false,
    };
  switch (recordRefusal(error)) {
    case 'too_large':
      return {
        ...errorResponse(
          413,
          'event_too_large',
          `Kafka refused the events as too large (${error.message}); send smaller events, or fewer per request. Sending them again as they are will not succeed.`,
        ),
        unexpected: true, // the publisher's size check should have refused them first
      };
    case 'invalid':
      return {
        ...errorResponse(
          422,
          'event_refused',
          `Kafka refused the events as invalid records (${error.message}); sending them again as they are will not succeed.`,
        ),
        unexpected: false,
      };
    case undefined:
      break;
  }
  const refused = kafkaProtocolError(error);
  if (refused && !refused.retriable && !isProducerStateError(refused.type)) {
    return {
      ...errorResponse(
        500,
        'kafka_refused',
        `Kafka refused the events (${refused.type}), for a reason retrying will not fix until an operator does; the error is in the producer's log.`,
      ),
      unexpected: true,
    };
  }
  return {
    ...errorResponse(
      503,
      'kafka_unavailable',
      `Kafka did not accept the events (${error.message}); retry the request in a few seconds.`,
    ),
    retryAfterSeconds: 1,
    unexpected: false,
  };
}

/** What to tell an operator when Kafka cannot be reached at boot or from the CLI. */
export function kafkaUnreachableMessage(brokers: string[], error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  return `cannot reach Kafka at ${brokers.join(',')} (${reason}): run npm run infra:up, or set KAFKA_BROKERS to a running broker`;
}
