// The dispatcher's one Kafka producer (idempotent, acks from all in-sync replicas). kafkajs does
// not batch for us, so records from every caller are grouped into one sendBatch per few ms.
import type { Kafka, Message, Producer } from 'kafkajs';
import { MicroBatcher } from '../batching/micro-batcher';
import { keyCachingPartitioner } from './key-partitioner';

interface OutgoingRecord {
  topic: string;
  message: Message;
}

export class BatchingProducer {
  private readonly producer: Producer;
  private readonly batcher: MicroBatcher<OutgoingRecord>;

  constructor(kafka: Kafka, { maxBatch = 1_000, lingerMs = 5, maxPending = 20_000 } = {}) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: keyCachingPartitioner(),
    });
    this.batcher = new MicroBatcher({
      flush: (records) => this.flush(records),
      maxBatch,
      lingerMs,
      maxPending,
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  /** Resolves once the record is acknowledged by every in-sync replica. */
  send(topic: string, message: Message): Promise<void> {
    return this.batcher.add({ topic, message });
  }

  /** Records waiting to be sent. */
  get pending(): number {
    return this.batcher.pending;
  }

  async disconnect(): Promise<void> {
    await this.batcher.close();
    await this.producer.disconnect();
  }

  private async flush(records: OutgoingRecord[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const { topic, message } of records) {
      const messages = byTopic.get(topic);
      if (messages) messages.push(message);
      else byTopic.set(topic, [message]);
    }
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }
}
