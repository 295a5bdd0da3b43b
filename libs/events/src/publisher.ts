// The typed publisher a backend service embeds. It owns no connection: hand it a kafkajs Kafka
// client and it creates one idempotent producer (acks from all in-sync replicas).
import { Partitioners, type Admin, type Kafka, type PartitionMetadata, type Producer } from 'kafkajs';
import { newEventId } from './event-id';
import { jsonDepthProblem, MAX_EVENT_DEPTH } from './json-depth';
import type { VowChatEvent } from './payloads';
import { toEventMessage, type EventMessage } from './record';
import { batchCapacity, chunkByPartitionBytes, DEFAULT_MAX_MESSAGE_BYTES, recordBytes } from './record-size';
import { readMaxMessageBytes } from './topic-limits';
import { DEFAULT_TOPICS, eventTopics, topicFor, type TopicNames } from './topics';
import { describeProblems, validateEvent } from './validation';

/** Where one published event landed. */
export interface PublishedEvent {
  eventId: string;
  topic: string;
  partition: number;
  offset: string;
}

export interface EventPublisherOptions {
  /**
   * The largest record batch to send, in bytes. The topics' own `max.message.bytes`, read from the
   * broker at connect, applies when it is smaller (or when this is not set).
   */
  maxMessageBytes?: number;
  /** The deepest an event may nest (MAX_EVENT_DEPTH, 64, when not set). */
  maxEventDepth?: number;
}

/** Thrown before anything is sent when an event fails validation. */
export class InvalidEventError extends Error {
  constructor(
    readonly index: number,
    readonly problems: string,
  ) {
    super(`event ${index}: ${problems}`);
    this.name = 'InvalidEventError';
  }
}

/** Thrown before anything is sent when an event, alone, is larger than its topic takes. */
export class EventTooLargeError extends Error {
  constructor(
    readonly index: number,
    readonly topic: string,
    /** The event's record (key, JSON value, headers and framing), in bytes. */
    readonly recordBytes: number,
    /** The most one record may take on `topic`: its max.message.bytes less the batch margin. */
    readonly limitBytes: number,
    readonly maxMessageBytes: number,
  ) {
    super(
      `event ${index} is ${recordBytes} bytes as a Kafka record, more than the ${limitBytes} bytes a record on topic ${topic} may take (max.message.bytes ${maxMessageBytes}, less room for the batch framing)`,
    );
    this.name = 'EventTooLargeError';
  }
}

interface PlannedRecord {
  index: number;
  topic: string;
  eventId: string;
  bytes: number;
  message: EventMessage & { partition: number };
}

/** A producer and the sends it still has in flight, so a retired one closes only once they end. */
interface ProducerHandle {
  producer: Producer;
  inFlight: number;
  retired: boolean;
}

export class EventPublisher {
  private handle: ProducerHandle;
  private readonly admin: Admin;
  private readonly partitionCache = new Map<string, PartitionMetadata[]>();
  private readonly maxMessageBytesByTopic = new Map<string, number>();
  // The same murmur2 partitioner the Java client uses, called here so we know each record's partition.
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private replacing: Promise<void> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: Pick<TopicNames, 'conversations' | 'messages' | 'typing'> = DEFAULT_TOPICS,
    private readonly options: EventPublisherOptions = {},
  ) {
    this.handle = this.newHandle();
    this.admin = kafka.admin();
  }

  /** Connects the producer and reads each event topic's size limit; call once before publishing. */
  async connect(): Promise<void> {
    await Promise.all([this.handle.producer.connect(), this.admin.connect()]);
    await this.readTopicLimits();
  }

  /** Flushes and closes the producer. */
  async disconnect(): Promise<void> {
    await this.replacing?.catch(() => undefined);
    await Promise.all([this.handle.producer.disconnect(), this.admin.disconnect()]);
  }

  /** The largest record batch each event topic takes, in bytes (after `connect`). */
  maxMessageBytes(): Record<string, number> {
    return Object.fromEntries(eventTopics(this.topics).map((t) => [t, this.maxMessageBytesOf(t)]));
  }

  /** Validates and publishes one event; resolves once every in-sync replica has it. */
  async publish(event: VowChatEvent): Promise<PublishedEvent> {
    const [published] = await this.publishMany([event]);
    return published;
  }

  /**
   * Validates every event and checks each fits on its topic, then publishes them, all-or-nothing on
   * validation and size. Events that together pass a topic's size limit go in several produce
   * requests, one after another, so each account's events keep their order. Results come back in
   * input order.
   */
  async publishMany(events: VowChatEvent[]): Promise<PublishedEvent[]> {
    const maxDepth = this.options.maxEventDepth ?? MAX_EVENT_DEPTH;
    events.forEach((event, index) => {
      // Depth first: validation and serialisation must never see an event deep enough to overflow.
      const tooDeep = jsonDepthProblem(event, maxDepth);
      if (tooDeep) throw new InvalidEventError(index, describeProblems([tooDeep]));
      const result = validateEvent(event);
      if (!result.ok) throw new InvalidEventError(index, describeProblems(result.problems));
    });
    const planned = await Promise.all(events.map((event, index) => this.plan(event, index)));
    for (const p of planned) {
      const max = this.maxMessageBytesOf(p.topic);
      if (p.bytes > batchCapacity(max))
        throw new EventTooLargeError(p.index, p.topic, p.bytes, batchCapacity(max), max);
    }
    const chunks = chunkByPartitionBytes(
      planned,
      (p) => `${p.topic}:${p.message.partition}`,
      (p) => p.bytes,
      (p) => batchCapacity(this.maxMessageBytesOf(p.topic)),
    );
    const results: PublishedEvent[] = new Array<PublishedEvent>(events.length);
    for (const chunk of chunks) {
      for (const published of await this.send(chunk)) results[published.index] = published.event;
    }
    return results;
  }

  private async plan(event: VowChatEvent, index: number): Promise<PlannedRecord> {
    const topic = topicFor(event.event, this.topics);
    const eventId = newEventId();
    const message = toEventMessage(event, eventId);
    const partition = this.partitioner({ topic, partitionMetadata: await this.partitionsOf(topic), message });
    return { index, topic, eventId, bytes: recordBytes(message), message: { ...message, partition } };
  }

  /** One produce request for `chunk`; where each record landed. */
  private async send(chunk: PlannedRecord[]): Promise<{ index: number; event: PublishedEvent }[]> {
    const handle = await this.currentHandle();
    const byTopic = new Map<string, PlannedRecord[]>();
    for (const p of chunk) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
    handle.inFlight++;
    let metadata;
    try {
      metadata = await handle.producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, items]) => ({
          topic,
          messages: items.map((i) => i.message),
        })),
      });
    } catch (error) {
      // A failed produce can leave the idempotent sequence numbers out of step with the broker
      // (some partitions of the request written, others not), after which the broker refuses
      // every later batch as out of order. A new producer (a new producer id) starts clean.
      this.retire(handle);
      throw error;
    } finally {
      this.release(handle);
    }
    // Offsets within one partition are consecutive from its baseOffset, in the order sent.
    const next = new Map(metadata.map((m) => [`${m.topicName}:${m.partition}`, BigInt(m.baseOffset ?? '0')]));
    const landed: { index: number; event: PublishedEvent }[] = [];
    for (const items of byTopic.values()) {
      for (const item of items) {
        const slot = `${item.topic}:${item.message.partition}`;
        const offset = next.get(slot) ?? 0n;
        next.set(slot, offset + 1n);
        landed.push({
          index: item.index,
          event: {
            eventId: item.eventId,
            topic: item.topic,
            partition: item.message.partition,
            offset: String(offset),
          },
        });
      }
    }
    return landed;
  }

  private newHandle(): ProducerHandle {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    return { producer, inFlight: 0, retired: false };
  }

  /** The producer to send with; a retired one is replaced (and connected) first. */
  private async currentHandle(): Promise<ProducerHandle> {
    while (this.handle.retired) {
      this.replacing ??= this.replace().finally(() => (this.replacing = undefined));
      await this.replacing;
    }
    return this.handle;
  }

  private async replace(): Promise<void> {
    const next = this.newHandle();
    await next.producer.connect(); // throws while Kafka is down; the next send tries again
    const old = this.handle;
    this.handle = next;
    if (old.inFlight === 0) void old.producer.disconnect().catch(() => undefined);
  }

  private retire(handle: ProducerHandle): void {
    handle.retired = true;
  }

  private release(handle: ProducerHandle): void {
    handle.inFlight--;
    if (handle.retired && handle.inFlight === 0 && handle !== this.handle)
      void handle.producer.disconnect().catch(() => undefined);
  }

  /** Reads max.message.bytes of the event topics; the broker's default when it cannot be read. */
  private async readTopicLimits(): Promise<void> {
    const limits = await readMaxMessageBytes(this.admin, eventTopics(this.topics));
    for (const [topic, bytes] of limits) this.maxMessageBytesByTopic.set(topic, bytes);
  }

  private maxMessageBytesOf(topic: string): number {
    const broker = this.maxMessageBytesByTopic.get(topic) ?? DEFAULT_MAX_MESSAGE_BYTES;
    return Math.min(broker, this.options.maxMessageBytes ?? broker);
  }

  private async partitionsOf(topic: string): Promise<PartitionMetadata[]> {
    const cached = this.partitionCache.get(topic);
    if (cached) return cached;
    const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = topics[0]?.partitions ?? [];
    if (partitions.length === 0) throw new Error(`topic ${topic} has no partitions: run npm run infra:up`);
    this.partitionCache.set(topic, partitions);
    return partitions;
  }
}
