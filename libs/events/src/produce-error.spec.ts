import {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import { kafkaErrorType, kafkaProtocolError, recordRefusal } from './produce-error';

/** A broker error as kafkajs raises it from a produce response. */
function protocolError(type: string, retriable = false): KafkaJSProtocolError {
  return new KafkaJSProtocolError({ type, code: 0, retriable, message: `${type} from the broker` } as never);
}

/** As kafkajs's retrier hands a non-retriable error on: wrapped, the original as its cause. */
function bailed(error: Error): KafkaJSNonRetriableError {
  return Object.assign(new KafkaJSNonRetriableError(error), { cause: error });
}

describe('kafkaErrorType', () => {
  it('reads the type of a protocol error, bare or wrapped as a cause', () => {
    const tooLarge = protocolError('MESSAGE_TOO_LARGE');
    expect(kafkaErrorType(tooLarge)).toBe('MESSAGE_TOO_LARGE');
    expect(kafkaErrorType(bailed(tooLarge))).toBe('MESSAGE_TOO_LARGE');
    const notLeader = protocolError('NOT_LEADER_FOR_PARTITION', true);
    expect(
      kafkaErrorType(new KafkaJSNumberOfRetriesExceeded(notLeader, { retryCount: 5, retryTime: 100 })),
    ).toBe('NOT_LEADER_FOR_PARTITION');
  });

  it.each([new Error('plain'), new KafkaJSError('Connection error'), 'text', undefined])(
    'is undefined for %p',
    (error) => {
      expect(kafkaErrorType(error)).toBeUndefined();
    },
  );
});

describe('recordRefusal', () => {
  it.each([
    ['MESSAGE_TOO_LARGE', 'too_large'],
    ['RECORD_LIST_TOO_LARGE', 'too_large'],
    ['INVALID_RECORD', 'invalid'],
    ['OUT_OF_ORDER_SEQUENCE_NUMBER', undefined],
    ['TOPIC_AUTHORIZATION_FAILED', undefined],
  ])('classifies %s as %p', (type, refusal) => {
    const error = protocolError(type);
    expect(recordRefusal(bailed(error))).toBe(refusal);
  });
});

describe('kafkaProtocolError', () => {
  it('says whether the broker error itself is retriable, not its wrapper', () => {
    const notLeader = protocolError('NOT_LEADER_FOR_PARTITION', true);
    const exhausted = new KafkaJSNumberOfRetriesExceeded(notLeader, { retryCount: 5, retryTime: 100 });
    expect(kafkaProtocolError(exhausted)).toEqual({ type: 'NOT_LEADER_FOR_PARTITION', retriable: true });
    const denied = protocolError('TOPIC_AUTHORIZATION_FAILED');
    expect(kafkaProtocolError(bailed(denied))).toEqual({
      type: 'TOPIC_AUTHORIZATION_FAILED',
      retriable: false,
    });
  });
});
