import { JsonLogger } from '@vowchat/platform';
import type { Message, PartitionerArgs, ProducerRecord, RecordMetadata } from 'kafkajs';
import { SendUnacknowledgedError, sendCovered } from './covered-send';
import { recordingPartitioner } from './produce-coverage';

const partitionMetadata = [0, 1, 2].map((partitionId) => ({
  partitionId,
  leader: partitionId + 1,
  partitionErrorCode: 0,
  replicas: [1, 2, 3],
  isr: [1, 2, 3],
}));

/**
 * A producer that partitions like kafkajs (each message's `partition`, through the recording
 * partitioner) and answers the n-th send with the partitions `answer(n)` names, or by throwing.
 */
function standIn(answer: (call: number) => number[] | Error) {
  const partitionOf = new WeakMap<Message, number>();
  const partitioner = recordingPartitioner(
    () => (args: PartitionerArgs) => args.message.partition ?? 0,
    partitionOf,
  )();
  const sent: string[][] = [];
  const producer = {
    send: ({ topic, messages }: ProducerRecord): Promise<RecordMetadata[]> => {
      for (const message of messages) partitioner({ topic, partitionMetadata, message });
      sent.push(messages.map((m) => String(m.value)));
      const outcome = answer(sent.length - 1);
      if (outcome instanceof Error) return Promise.reject(outcome);
      return Promise.resolve(outcome.map((partition) => ({ topicName: topic, partition, errorCode: 0 })));
    },
  };
  return { producer, partitionOf, sent };
}

const warnings: Record<string, unknown>[] = [];
const log = new (class extends JsonLogger {
  override warnWith(_msg: string, fields?: Record<string, unknown>): void {
    warnings.push(fields ?? {});
  }
})('test');

const record = (count: number): ProducerRecord => ({
  topic: 'webhooks',
  acks: -1,
  messages: Array.from({ length: count }, (_, i) => ({ value: `r${i}`, partition: i % 3 })),
});

beforeEach(() => (warnings.length = 0));

describe('sendCovered', () => {
  it('sends once when the answer names the partition of every record', async () => {
    const { producer, partitionOf, sent } = standIn(() => [0, 1, 2]);
    await sendCovered(producer, record(6), partitionOf, log);
    expect(sent).toEqual([['r0', 'r1', 'r2', 'r3', 'r4', 'r5']]);
    expect(warnings).toEqual([]);
  });

  it('sends again only the records of a partition the answer left out, in their order', async () => {
    // kafkajs 2.2.4 after partition 2's leader moved to a broker that had already answered.
    const { producer, partitionOf, sent } = standIn((call) => (call === 0 ? [0, 1] : [2]));
    await sendCovered(producer, record(6), partitionOf, log);
    expect(sent).toEqual([
      ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'],
      ['r2', 'r5'],
    ]);
    expect(warnings).toEqual([
      expect.objectContaining({ partitions: ['webhooks/2'], records: 2, of: 6, then: 'sent again' }),
    ]);
  });

  it('fails retriably, naming the topic, partitions and counts, when resends still leave records out', async () => {
    const { producer, partitionOf, sent } = standIn(() => [0]);
    const failure = sendCovered(producer, record(6), partitionOf, log);
    await expect(failure).rejects.toBeInstanceOf(SendUnacknowledgedError);
    const error = (await failure.catch((e: unknown) => e)) as SendUnacknowledgedError;
    expect(error).toMatchObject({
      retriable: true,
      topic: 'webhooks',
      partitions: [1, 2],
      records: 4,
      of: 6,
    });
    expect(error.message).toBe(
      'Kafka answered a send to webhooks without partition(s) 1, 2: 4 of 6 records not written after 2 resends',
    );
    expect(sent).toHaveLength(3); // the send and two resends of the four left out
    expect(sent[2]).toEqual(['r1', 'r2', 'r4', 'r5']);
    expect(warnings.at(-1)).toMatchObject({ then: 'failed back to the caller', resends: 2 });
  });

  it('counts a partition answered with an error, or a record never placed, as left out', async () => {
    const partitionOf = new WeakMap<Message, number>();
    // A producer built without the recording partitioner: nothing is known to be written.
    const producer = {
      send: ({ topic }: ProducerRecord) =>
        Promise.resolve([{ topicName: topic, partition: 0, errorCode: 0 }] as RecordMetadata[]),
    };
    await expect(sendCovered(producer, record(1), partitionOf, log)).rejects.toMatchObject({
      partitions: [undefined],
      records: 1,
    });
    const erred = standIn(() => [0]);
    const answerWithError = {
      send: async (r: ProducerRecord) => (await erred.producer.send(r)).map((m) => ({ ...m, errorCode: 6 })),
    };
    await expect(sendCovered(answerWithError, record(1), erred.partitionOf, log)).rejects.toMatchObject({
      partitions: [0],
    });
  });

  it('lets a failed send reject as kafkajs rejected it, not resent here', async () => {
    const refused = new Error('connection closed');
    const { producer, partitionOf, sent } = standIn(() => refused);
    await expect(sendCovered(producer, record(3), partitionOf, log)).rejects.toBe(refused);
    expect(sent).toHaveLength(1);
  });
});
