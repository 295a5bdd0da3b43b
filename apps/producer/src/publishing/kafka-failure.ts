// Telling "Kafka is unreachable or refused the write" (retry later) apart from our own bugs.
import { KafkaJSAggregateError, KafkaJSError } from 'kafkajs';

/** True for errors of the Kafka client: the broker is unreachable, timed out or refused the write. */
export function isKafkaFailure(error: unknown): error is Error {
  return error instanceof KafkaJSError || error instanceof KafkaJSAggregateError;
}

/** What to tell an operator when Kafka cannot be reached at boot or from the CLI. */
export function kafkaUnreachableMessage(brokers: string[], error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  return `cannot reach Kafka at ${brokers.join(',')} (${reason}): run npm run infra:up, or set KAFKA_BROKERS to a running broker`;
}
