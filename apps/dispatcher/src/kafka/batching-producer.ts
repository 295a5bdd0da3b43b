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
//
// kafkajs may also resolve a send without having written all of it (decision 0022): after a leader
// change, a partition that moved to a broker which had already answered is never produced, and the
// answer leaves it out. So the answer is checked against the partition of every record, and the
// records it does not cover are sent again, on a new producer, before the batch is answered (so
// nothing later overtakes them); only if that keeps failing are they failed back to their callers.
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
import { recordingPartitioner, unacknowledged } from './produce-coverage';

/** Resends of the records a send left out, before they are failed back to their callers. */
const MAX_RESENDS = 3;

interface OutgoingRecord {
  topic: string;
  message: Message;
  bytes: number;
}

/** kafkajs answered a send without the partition of this record, and resending did not help. */
export class RecordUnacknowledgedError extends Error {
  readonly retriable = true;
  constructor(
    readonly topic: string,
    readonly partition: number | undefined,
  ) {
    super(`Kafka answered the send without ${topic}/${partition ?? '?'}: the record was not written`);
    this.name = 'RecordUnacknowledgedError';
  }
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
  /** The partition kafkajs last put each message in (see produce-coverage.ts). */
  private readonly partitionOf = new WeakMap<Message, number>();

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
      createPartitioner: recordingPartitioner(keyCachingPartitioner(), this.partitionOf),
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

  private async flush(records: OutgoingRecord[], resends = 0): Promise<void | (Error | undefined)[]> {
    let missed: number[];
    try {
      missed = await this.sendAll(records);
    } catch (error) {
      this.broken = true;
      const refusal = recordRefusal(error);
      if (refusal === undefined) throw error;
      // The broker refused something in the batch: find out which records, one at a time.
      return this.sendOneByOne(records);
    }
    if (missed.length === 0) return;
    // A send that left records out went through a failure kafkajs retried: start afresh, as after any.
    this.broken = true;
    const left = missed.map((i) => records[i]);
    const giveUp = resends >= MAX_RESENDS;
    this.options.log.warnWith('kafka answered a send without some of its partitions', {
      records: left.length,
      of: records.length,
      partitions: [...new Set(left.map((r) => `${r.topic}/${this.partitionOf.get(r.message) ?? '?'}`))],
      resends,
      then: giveUp ? 'failed back to their callers' : 'sent again',
    });
    const again = giveUp
      ? left.map((r) => new RecordUnacknowledgedError(r.topic, this.partitionOf.get(r.message)))
      : await this.flush(left, resends + 1).catch((error: Error) => left.map(() => error));
    const results: (Error | undefined)[] = records.map(() => undefined);
    missed.forEach((i, k) => (results[i] = again?.[k]));
    return results;
  }

  private async sendOneByOne(records: OutgoingRecord[]): Promise<(Error | undefined)[]> {
    const results: (Error | undefined)[] = [];
    for (const record of records) {
      try {
        const missed = await this.sendAll([record]);
        if (missed.length > 0) {
          this.broken = true;
          results.push(new RecordUnacknowledgedError(record.topic, this.partitionOf.get(record.message)));
        } else results.push(undefined);
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

  /** Sends the records as one batch; resolves with the indexes of those kafkajs did not write. */
  private async sendAll(records: OutgoingRecord[]): Promise<number[]> {
    const producer = await this.healthyProducer();
    const byTopic = new Map<string, Message[]>();
    for (const { topic, message } of records) {
      this.partitionOf.delete(message);
      const messages = byTopic.get(topic);
      if (messages) messages.push(message);
      else byTopic.set(topic, [message]);
    }
    const answer = await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
    return unacknowledged(
      records.map(({ topic, message }) => ({ topic, partition: this.partitionOf.get(message) })),
      answer,
    );
  }
}
