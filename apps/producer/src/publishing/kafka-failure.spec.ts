import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { isKafkaFailure, kafkaUnreachableMessage } from './kafka-failure';

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

describe('kafkaUnreachableMessage', () => {
  it('names the brokers, the reason and the fix', () => {
    expect(kafkaUnreachableMessage(['127.0.0.1:9092', 'k2:9092'], new Error('Connection timeout'))).toBe(
      'cannot reach Kafka at 127.0.0.1:9092,k2:9092 (Connection timeout): run npm run infra:up, or set KAFKA_BROKERS to a running broker',
    );
  });
});
