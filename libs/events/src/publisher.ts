// The typed publisher a backend service embeds. It owns no connection: hand it a kafkajs Kafka
// client and it sends through one idempotent producer at a time (acks from all in-sync replicas),
// one produce request at a time, shared by every concurrent caller (produce-queue.ts says why).
import { Partitioners, type Admin, type Kafka, type PartitionMetadata } from 'kafkajs';
import { isEventId, newEventId } from './event-id';
import { jsonDepthProblem, MAX_EVENT_DEPTH } from './json-depth';
import type { VowChatEvent } from './payloads';
import { ProduceQueue, type QueuedRecord } from './produce-queue';
import { toEventMessage } from './record';
import { batchCapacity, DEFAULT_MAX_MESSAGE_BYTES, recordBytes } from './record-size';
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
  /**
   * How long a publish may wait for Kafka's acknowledgement, queueing included, before it rejects
   * with PublishTimeoutError. Default 30 s.
   */
  timeoutMs?: number;
  /** How long the first event waits for others to share its produce request, in ms. Default 0. */
  lingerMs?: number;
  /** Bytes of records waiting for Kafka past which a publish is refused (PublishQueueFullError). Default 64 MiB. */
  maxQueuedBytes?: number;
  /** Publishes waiting for Kafka past which another is refused (PublishQueueFullError). Default 10,000. */
  maxQueuedPublishes?: number;
  /** Told (for a log line) when the producer is replaced after a failed produce request. */
  onProducerReplaced?: (reason: string) => void;
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

interface PlannedRecord extends QueuedRecord {
  index: number;
  eventId: string;
}

/** Per-call options of `publish`. */
export interface PublishOptions {
  /**
   * The event's id (a UUID): give the same one when publishing again after an ambiguous failure
   * (a timeout, a lost connection), so receivers see the same `webhook-id` and can deduplicate.
   * A new UUIDv7 when not given.
   */
  eventId?: string;
}

/** Per-call options of `publishMany`. */
export interface PublishManyOptions {
  /** Each event's id by position (see PublishOptions.eventId); a missing entry gets a new one. */
  eventIds?: readonly (string | undefined)[];
}

export class EventPublisher {
  private readonly queue: ProduceQueue;
  private readonly admin: Admin;
  private readonly partitionCache = new Map<string, PartitionMetadata[]>();
  private readonly maxMessageBytesByTopic = new Map<string, number>();
  // The same murmur2 partitioner the Java client uses, called here so we know each record's partition.
  private readonly partitioner = Partitioners.DefaultPartitioner();

  constructor(
    kafka: Kafka,
    private readonly topics: Pick<TopicNames, 'conversations' | 'messages' | 'typing'> = DEFAULT_TOPICS,
    private readonly options: EventPublisherOptions = {},
  ) {
    this.admin = kafka.admin();
    this.queue = new ProduceQueue(kafka, {
      capacityOf: (topic) => batchCapacity(this.maxMessageBytesOf(topic)),
      timeoutMs: options.timeoutMs,
      lingerMs: options.lingerMs,
      maxQueuedBytes: options.maxQueuedBytes,
      maxQueuedSends: options.maxQueuedPublishes,
      onProducerReplaced: options.onProducerReplaced,
    });
  }

  /** Connects the producer and reads each event topic's size limit; call once before publishing. */
  async connect(): Promise<void> {
    await Promise.all([this.queue.connect(), this.admin.connect()]);
    await this.readTopicLimits();
  }

  /** Answers what is queued, then closes the producer. */
  async disconnect(): Promise<void> {
    await this.queue.disconnect();
    await this.admin.disconnect();
  }

  /** Publishes waiting for Kafka or in flight, and their bytes. */
  get pending(): { sends: number; bytes: number } {
    return this.queue.pending;
  }

  /** The largest record batch each event topic takes, in bytes (after `connect`). */
  maxMessageBytes(): Record<string, number> {
    return Object.fromEntries(eventTopics(this.topics).map((t) => [t, this.maxMessageBytesOf(t)]));
  }

  /** Validates and publishes one event; resolves once every in-sync replica has it. */
  async publish(event: VowChatEvent, options: PublishOptions = {}): Promise<PublishedEvent> {
    const [published] = await this.publishMany([event], { eventIds: [options.eventId] });
    return published;
  }

  /**
   * Validates every event and checks each fits on its topic, then publishes them, all-or-nothing on
   * validation and size. Publishes from concurrent callers share produce requests (one at a time,
   * each under every partition's size limit), in the order called, so each account's events keep
   * their order. Resolves, in input order, once Kafka acknowledged every event; rejects with
   * PublishTimeoutError past `timeoutMs` (some events may be in Kafka: publish them again with the
   * same ids) and PublishQueueFullError when too much waits already (nothing was sent).
   */
  async publishMany(events: VowChatEvent[], options: PublishManyOptions = {}): Promise<PublishedEvent[]> {
    const maxDepth = this.options.maxEventDepth ?? MAX_EVENT_DEPTH;
    events.forEach((event, index) => {
      // Depth first: validation and serialisation must never see an event deep enough to overflow.
      const tooDeep = jsonDepthProblem(event, maxDepth);
      if (tooDeep) throw new InvalidEventError(index, describeProblems([tooDeep]));
      const result = validateEvent(event);
      if (!result.ok) throw new InvalidEventError(index, describeProblems(result.problems));
      const eventId = options.eventIds?.[index];
      if (eventId !== undefined && !isEventId(eventId))
        throw new InvalidEventError(index, `eventId: must be a UUID, got ${JSON.stringify(eventId)}`);
    });
    const planned: PlannedRecord[] = [];
    for (const [index, event] of events.entries())
      planned.push(await this.plan(event, index, options.eventIds?.[index]));
    for (const p of planned) {
      const max = this.maxMessageBytesOf(p.topic);
      if (p.bytes > batchCapacity(max))
        throw new EventTooLargeError(p.index, p.topic, p.bytes, batchCapacity(max), max);
    }
    const positions = await this.queue.send(planned);
    return planned.map((p, i) => ({ eventId: p.eventId, ...positions[i] }));
  }

  private async plan(
    event: VowChatEvent,
    index: number,
    givenId: string | undefined,
  ): Promise<PlannedRecord> {
    const topic = topicFor(event.event, this.topics);
    const eventId = givenId ?? newEventId();
    const message = toEventMessage(event, eventId);
    const partitionMetadata = this.partitionCache.get(topic) ?? (await this.partitionsOf(topic));
    const partition = this.partitioner({ topic, partitionMetadata, message });
    return { index, topic, eventId, bytes: recordBytes(message), partition, message };
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
