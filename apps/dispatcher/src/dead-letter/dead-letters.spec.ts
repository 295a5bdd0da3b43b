import { JsonLogger, SampledLog } from '@vowchat/platform';
import type { Message } from 'kafkajs';
import type { DeadLetter } from '@vowchat/events';
import { RecordRefusedError } from '../kafka/batching-producer';
import { DeadLetters, reasonKind } from './dead-letters';

const record = (value: Buffer) => ({
  topic: 'vowchat.messages',
  partition: 1,
  offset: '7',
  timestamp: '1705314600000',
  key: Buffer.from('11'),
  value,
  headers: {},
});

describe('DeadLetters', () => {
  // Its lines stay out of the test output.
  const log = new SampledLog(
    new (class extends JsonLogger {
      override write(): void {}
    })('test'),
  );

  it('cuts a letter to what its topic can hold', async () => {
    const sent: Message[] = [];
    const letters = new DeadLetters(
      { capacityOf: () => 100_000, send: async (_topic, message) => void sent.push(message) },
      'dlq',
      log,
    );
    await letters.send(record(Buffer.alloc(900_000, 0xff)), 'value is not JSON', new Date());
    expect(Buffer.byteLength(sent[0].value as string)).toBeLessThan(100_000);
    const letter = JSON.parse(sent[0].value as string) as DeadLetter;
    expect(letter).toMatchObject({ value_truncated: true, value_bytes: 900_000, origin: { offset: '7' } });
  });

  it('sends a bare letter when the broker refuses the full one', async () => {
    const sent: DeadLetter[] = [];
    let calls = 0;
    const letters = new DeadLetters(
      {
        capacityOf: () => 1_000_000,
        send: async (topic, message) => {
          if (calls++ === 0) throw new RecordRefusedError(topic, 'invalid', 'INVALID_RECORD');
          sent.push(JSON.parse(message.value as string) as DeadLetter);
        },
      },
      'dlq',
      log,
    );
    await letters.send(record(Buffer.from('not json')), 'value is not JSON', new Date());
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ value: null, value_truncated: true, origin: { offset: '7' } });
    expect(sent[0].reason).toContain('letter refused');
  });

  it('passes a retriable failure on to the caller', async () => {
    const letters = new DeadLetters(
      {
        capacityOf: () => 1_000_000,
        send: async () => {
          throw new Error('broker away');
        },
      },
      'dlq',
      log,
    );
    await expect(letters.send(record(Buffer.from('x')), 'value is not JSON', new Date())).rejects.toThrow(
      'broker away',
    );
  });

  it.each([
    ['value is not JSON: Unexpected token', 'value_is_not_json'],
    ['record key "12" does not match account.id 11', 'record_key'],
    ['invalid event: account.id must be a positive integer', 'invalid_event'],
    ['value is not valid UTF-8', 'value_is_not_valid_utf_8'],
  ])('logs %p under the kind %p', (reason, kind) => {
    expect(reasonKind(reason)).toBe(kind);
  });
});
