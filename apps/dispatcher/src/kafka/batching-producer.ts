// The dispatcher's one Kafka producer (idempotent, acks from all in-sync replicas). kafkajs does
// not batch for us, so records from every caller are grouped into one sendBatch per few ms.
//
// Nothing the broker can refuse for its size is ever sent: each topic's `max.message.bytes` is read
// at connect, a record larger than its topic allows is refused here (RecordRefusedError, never
// retriable: callers shrink it first, see `capacityOf`), and a batch never holds more bytes than
// the smallest limit. A failed produce can leave kafkajs's idempotent sequence numbers out of step
// with the broker ("out of order sequence number" for every batch after it), so after any failure
// the producer is replaced by a new one (a new producer id starts its sequences afresh) before the
// next batch; the failed batch's callers retry it (at least once: the projection and receivers
// deduplicate). A batch the broker refuses for its records is split so only the refused records fail.
//
// One sendBatch at a time is what keeps acknowledgements true (decision 0015): kafkajs takes a
// partition's sequence numbers back after a request fails on the client side, even when the broker
// appended it, and a second request built on the same producer before the failed one's retry would
// reuse them and be acknowledged as a duplicate, with the offset of records not its own. The
// MicroBatcher flushes one batch at a time and this class sends nothing outside it, so kafkajs's
// retry of a failed request is always the next request, with the same records under the same numbers
// (npm run chaos:publish with CHAOS_VIA=dispatcher checks it under broker kills).
import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  batchCapacity,
  readMaxMessageBytes,
  recordBytes,
  recordRefusal,
} from '@vowchat/events';
import type { JsonLogger } from '@vowchat/platform';
import { MicroBatcher, type MicroBatcherOptions } from '../batching/micro-batcher';
import { keyCachingPartitioner } from './key-partitioner';

interface OutgoingRecord {
  topic: string;
  message: Message;
  bytes: number;
}

/** The broker refused a record (too large, invalid): sending it again can never succeed. */
export class RecordRefusedError extends Error {
  readonly retriable = false;
  constructor(
    readonly topic: string,
    readonly refusal: 'too_large' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'RecordRefusedError';
  }
}

export interface BatchingProducerOptions {
  /** Topics this producer writes to: their size limits are read at connect. */
  topics: readonly string[];
  log: JsonLogger;
  maxBatch?: number;
  lingerMs?: number;
  maxPending?: number;
  /** Bytes queued before `send` waits (bounds the heap when records are large). */
  maxPendingBytes?: number;
  /** An upper limit below the broker's, e.g. for tests. */
  maxMessageBytes?: number;
}

export class BatchingProducer {
  private producer: Producer;
  private broken = false;
  private readonly batcher: MicroBatcher<OutgoingRecord>;
  private readonly batching: MicroBatcherOptions<OutgoingRecord>;
  private limits = new Map<string, number>();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: BatchingProducerOptions,
  ) {
    this.producer = this.newProducer();
    this.batching = {
      flush: (records) => this.flush(records),
      maxBatch: options.maxBatch ?? 1_000,
      lingerMs: options.lingerMs ?? 5,
      maxPending: options.maxPending ?? 20_000,
      sizeOf: (record) => record.bytes,
      maxBatchBytes: batchCapacity(options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES),
      maxPendingBytes: options.maxPendingBytes ?? 32 * 1024 * 1024,
    };
    this.batcher = new MicroBatcher(this.batching);
  }

  async connect(): Promise<void> {
    const admin: Admin = this.kafka.admin();
    await admin.connect();
    try {
      this.limits = await readMaxMessageBytes(admin, this.options.topics);
    } finally {
      await admin.disconnect();
    }
    // A batch may mix topics: it stays under the smallest of their limits (the batcher reads it per batch).
    this.batching.maxBatchBytes = Math.min(...this.options.topics.map((topic) => this.capacityOf(topic)));
    await this.producer.connect();
  }

  /** The most bytes one record (key, value, headers, framing) may take on `topic`. */
  capacityOf(topic: string): number {
    const broker = this.limits.get(topic) ?? DEFAULT_MAX_MESSAGE_BYTES;
    return batchCapacity(Math.min(broker, this.options.maxMessageBytes ?? broker));
  }

  /**
   * Resolves once the record is acknowledged by every in-sync replica. Rejects with a
   * RecordRefusedError (not retriable) for a record its topic cannot hold; any other rejection is
   * retriable.
   */
  send(topic: string, message: Message): Promise<void> {
    const bytes = recordBytes(message as Parameters<typeof recordBytes>[0]);
    const capacity = this.capacityOf(topic);
    if (bytes > capacity) {
      return Promise.reject(
        new RecordRefusedError(
          topic,
          'too_large',
          `record of ${bytes} bytes is over the ${capacity} bytes a record on ${topic} may take`,
        ),
      );
    }
    return this.batcher.add({ topic, message, bytes });
  }

  /** Records waiting to be sent. */
  get pending(): number {
    return this.batcher.pending;
  }

  async disconnect(): Promise<void> {
    await this.batcher.close();
    await this.producer.disconnect();
  }

  private newProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: keyCachingPartitioner(),
    });
  }

  /** A producer whose last send failed is replaced before the next: its sequence may be broken. */
  private async healthyProducer(): Promise<Producer> {
    if (!this.broken) return this.producer;
    const old = this.producer;
    void old.disconnect().catch(() => undefined);
    this.producer = this.newProducer();
    await this.producer.connect(); // throws while the broker is away: the batch fails retriably
    this.broken = false;
    this.options.log.info('kafka producer replaced after a failed send');
    return this.producer;
  }

  private async flush(records: OutgoingRecord[]): Promise<void | (Error | undefined)[]> {
    try {
      await this.sendAll(records);
    } catch (error) {
      this.broken = true;
      const refusal = recordRefusal(error);
      if (refusal === undefined) throw error;
      // The broker refused something in the batch: find out which records, one at a time.
      return this.sendOneByOne(records);
    }
  }

  private async sendOneByOne(records: OutgoingRecord[]): Promise<(Error | undefined)[]> {
    const results: (Error | undefined)[] = [];
    for (const record of records) {
      try {
        await this.sendAll([record]);
        results.push(undefined);
      } catch (error) {
        this.broken = true;
        const refusal = recordRefusal(error);
        results.push(
          refusal === undefined
            ? (error as Error)
            : new RecordRefusedError(
                record.topic,
                refusal,
                `broker refused the record: ${(error as Error).message}`,
              ),
        );
      }
    }
    return results;
  }

  private async sendAll(records: OutgoingRecord[]): Promise<void> {
    const producer = await this.healthyProducer();
    const byTopic = new Map<string, Message[]>();
    for (const { topic, message } of records) {
      const messages = byTopic.get(topic);
      if (messages) messages.push(message);
      else byTopic.set(topic, [message]);
    }
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }
}
