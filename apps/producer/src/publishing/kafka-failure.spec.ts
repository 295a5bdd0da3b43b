import {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import { PublishQueueFullError, PublishTimeoutError } from '@vowchat/events';
import { isKafkaFailure, kafkaFailureResponse, kafkaUnreachableMessage } from './kafka-failure';

/** A broker error as kafkajs's retrier hands it on: wrapped, the original as its cause. */
function brokerError(type: string, retriable = false): Error {
  const error = new KafkaJSProtocolError({
    type,
    code: 0,
    retriable,
    message: `${type} said the broker`,
  } as never);
  return retriable
    ? new KafkaJSNumberOfRetriesExceeded(error, { retryCount: 8, retryTime: 100 })
    : Object.assign(new KafkaJSNonRetriableError(error), { cause: error });
}

describe('isKafkaFailure', () => {
  it.each([
    new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'),
    new KafkaJSNumberOfRetriesExceeded(new Error('boom'), { retryCount: 8, retryTime: 100 }),
    new KafkaJSProtocolError('This server does not host this topic-partition'),
  ])('is true for the Kafka client error %p', (error) => {
    expect(isKafkaFailure(error)).toBe(true);
  });

  it.each([new TypeError('x is undefined'), new Error('plain'), 'text'])('is false for %p', (error) => {
    expect(isKafkaFailure(error)).toBe(false);
  });
});

describe('kafkaFailureResponse', () => {
  it.each(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE'])(
    'answers %s with 413, never a 503 to retry forever',
    (type) => {
      const response = kafkaFailureResponse(brokerError(type));
      expect(response).toMatchObject({ status: 413, body: { error: 'event_too_large' } });
      expect(response.retryAfterSeconds).toBeUndefined();
      expect(response.body.message).toMatch(/will not succeed/);
    },
  );

  it('answers INVALID_RECORD with 422', () => {
    expect(kafkaFailureResponse(brokerError('INVALID_RECORD'))).toMatchObject({
      status: 422,
      body: { error: 'event_refused' },
      unexpected: false,
    });
  });

  it('answers a broken idempotent sequence with 503: the publisher has a new producer for the retry', () => {
    expect(kafkaFailureResponse(brokerError('OUT_OF_ORDER_SEQUENCE_NUMBER'))).toMatchObject({
      status: 503,
      retryAfterSeconds: 1,
    });
  });

  it('answers a refusal only an operator can fix with 500, logged as ours', () => {
    expect(kafkaFailureResponse(brokerError('TOPIC_AUTHORIZATION_FAILED'))).toMatchObject({
      status: 500,
      body: { error: 'kafka_refused' },
      unexpected: true,
    });
  });

  it.each([
    new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'),
    brokerError('NOT_LEADER_FOR_PARTITION', true),
  ])('answers a passing failure with 503 and a retry hint (%p)', (error) => {
    expect(kafkaFailureResponse(error)).toMatchObject({
      status: 503,
      retryAfterSeconds: 1,
      body: { error: 'kafka_unavailable' },
      unexpected: false,
    });
  });
});

describe('kafkaFailureResponse to the publisher queue', () => {
  it('answers a publish not acknowledged in time with 503 and Retry-After, naming the ambiguity', () => {
    const answer = kafkaFailureResponse(new PublishTimeoutError(5_000, 'no acknowledgement yet'));
    expect(answer).toMatchObject({ status: 503, retryAfterSeconds: 1, unexpected: false });
    expect(answer.body.error).toBe('kafka_timeout');
    expect(answer.body.message).toMatch(/may or may not have been published.*Idempotency-Key/);
  });

  it('answers a full queue with 503 and Retry-After: nothing was published', () => {
    const answer = kafkaFailureResponse(new PublishQueueFullError('10000 publishes already wait'));
    expect(answer).toMatchObject({ status: 503, retryAfterSeconds: 1, body: { error: 'kafka_backlog' } });
    expect(isKafkaFailure(new PublishQueueFullError('x'))).toBe(true);
  });
});

describe('kafkaUnreachableMessage', () => {
  it('names the brokers, the reason and the fix', () => {
    expect(kafkaUnreachableMessage(['127.0.0.1:9092', 'k2:9092'], new Error('Connection timeout'))).toBe(
      'cannot reach Kafka at 127.0.0.1:9092,k2:9092 (Connection timeout): run npm run infra:up, or set KAFKA_BROKERS to a running broker',
    );
  });
});
