import { JsonLogger } from '@vowchat/platform';
import type { ICustomPartitioner, Kafka, Message, ProducerBatch, RecordMetadata } from 'kafkajs';
import { BatchingProducer, RecordUnacknowledgedError } from './batching-producer';

/** One sendBatch a fake producer got: which producer, and the values it put in each partition. */
interface Call {
  producer: number;
  partitions: Map<number, string[]>;
}

/**
 * A Kafka whose producers partition like kafkajs (through the partitioner they were built with,
 * over three partitions) and answer each send as `answer` says: with the partitions it names, or
 * by throwing.
 */
function fakeKafka(answer: (call: Call, index: number) => number[] | Error) {
  const calls: Call[] = [];
  let producers = 0;
  const partitionMetadata = [0, 1, 2].map((partitionId) => ({
    partitionId,
    leader: partitionId + 1,
    partitionErrorCode: 0,
    replicas: [1, 2, 3],
    isr: [1, 2, 3],
  }));
  const kafka = {
    producer: ({ createPartitioner }: { createPartitioner: ICustomPartitioner }) => {
      const producer = ++producers;
      const partitioner = createPartitioner();
      return {
        connect: async () => undefined,
        disconnect: async () => undefined,
        sendBatch: async ({ topicMessages }: ProducerBatch): Promise<RecordMetadata[]> => {
          const call: Call = { producer, partitions: new Map() };
          for (const { topic, messages } of topicMessages ?? [])
            for (const message of messages) {
              const p = partitioner({ topic, partitionMetadata, message });
              call.partitions.set(p, [...(call.partitions.get(p) ?? []), String(message.value)]);
            }
          calls.push(call);
          const outcome = answer(call, calls.length - 1);
          if (outcome instanceof Error) throw outcome;
          return outcome.map((partition) => ({ topicName: 'deliveries', partition, errorCode: 0 }));
        },
      };
    },
  };
  return { kafka: kafka as unknown as Kafka, calls };
}

const quiet = new (class extends JsonLogger {
  override write(): void {}
})('test');

const records = (count: number): Message[] =>
  Array.from({ length: count }, (_, i) => ({ value: `r${i}`, partition: i % 3 }));

/** Sends every record at once (one batch) and settles each caller. */
async function sendAll(producer: BatchingProducer, messages: Message[]) {
  const settled = await Promise.allSettled(messages.map((m) => producer.send('deliveries', m)));
  await producer.disconnect();
  return settled.map((s) => (s.status === 'fulfilled' ? 'ok' : (s.reason as Error).name));
}

const everyPartitionSent = (call: Call) => [...call.partitions.keys()];

describe('BatchingProducer: an answer that leaves partitions out', () => {
  it('sends the left-out records again, alone and on a new producer, and answers every caller once they are written', async () => {
    // The first answer leaves partition 2 out, as kafkajs 2.2.4 does after partition 2's leader moved.
    const { kafka, calls } = fakeKafka((call, i) =>
      i === 0 ? everyPartitionSent(call).filter((p) => p !== 2) : everyPartitionSent(call),
    );
    const producer = new BatchingProducer(kafka, { topics: ['deliveries'], log: quiet, lingerMs: 1 });

    expect(await sendAll(producer, records(6))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual({ producer: 2, partitions: new Map([[2, ['r2', 'r5']]]) });
  });

  it('fails only the left-out records, retriably, when every resend leaves them out too', async () => {
    const { kafka, calls } = fakeKafka((call) => everyPartitionSent(call).filter((p) => p !== 1));
    const producer = new BatchingProducer(kafka, { topics: ['deliveries'], log: quiet, lingerMs: 1 });

    const outcomes = await sendAll(producer, records(3));
    expect(outcomes).toEqual(['ok', 'RecordUnacknowledgedError', 'ok']);
    expect(new RecordUnacknowledgedError('deliveries', 1).retriable).toBe(true);
    expect(calls).toHaveLength(4); // the send, then three resends
  });

  it('fails only the left-out records when their resend fails, with its error', async () => {
    const { kafka } = fakeKafka((_call, i) =>
      i === 0 ? [0] : new Error('connection closed while resending'),
    );
    const producer = new BatchingProducer(kafka, { topics: ['deliveries'], log: quiet, lingerMs: 1 });

    expect(await sendAll(producer, records(3))).toEqual(['ok', 'Error', 'Error']);
  });

  it('answers a fully acknowledged batch in one send on one producer', async () => {
    const { kafka, calls } = fakeKafka(everyPartitionSent);
    const producer = new BatchingProducer(kafka, { topics: ['deliveries'], log: quiet, lingerMs: 1 });

    expect(await sendAll(producer, records(4))).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(calls.map((c) => c.producer)).toEqual([1]);
  });
});
