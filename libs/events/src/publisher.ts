// The typed publisher a backend service embeds. It owns no connection: hand it a kafkajs Kafka
// client and it creates one idempotent producer (acks from all in-sync replicas).
import { Partitioners, type Admin, type Kafka, type PartitionMetadata, type Producer } from 'kafkajs';
import { newEventId } from './event-id';
import type { VowChatEvent } from './payloads';
import { toEventMessage } from './record';
import { DEFAULT_TOPICS, topicFor, type TopicNames } from './topics';
import { describeProblems, validateEvent } from './validation';

/** Where one published event landed. */
export interface PublishedEvent {
  eventId: string;
  topic: string;
  partition: number;
  offset: string;
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

export class EventPublisher {
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly partitionCache = new Map<string, PartitionMetadata[]>();
  // The same murmur2 partitioner the Java client uses, called here so we know each record's partition.
  private readonly partitioner = Partitioners.DefaultPartitioner();

  constructor(
    kafka: Kafka,
    private readonly topics: Pick<TopicNames, 'conversations' | 'messages' | 'typing'> = DEFAULT_TOPICS,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    this.admin = kafka.admin();
  }

  /** Connects the producer; call once before publishing. */
  async connect(): Promise<void> {
    await Promise.all([this.producer.connect(), this.admin.connect()]);
  }

  /** Flushes and closes the producer. */
  async disconnect(): Promise<void> {
    await Promise.all([this.producer.disconnect(), this.admin.disconnect()]);
  }

  /** Validates and publishes one event; resolves once every in-sync replica has it. */
  async publish(event: VowChatEvent): Promise<PublishedEvent> {
    const [published] = await this.publishMany([event]);
    return published;
  }

  /**
   * Validates every event, then publishes them in one request per topic, all-or-nothing on
   * validation. Results come back in input order.
   */
  async publishMany(events: VowChatEvent[]): Promise<PublishedEvent[]> {
    events.forEach((event, index) => {
      const result = validateEvent(event);
      if (!result.ok) throw new InvalidEventError(index, describeProblems(result.problems));
    });
    const planned = await Promise.all(
      events.map(async (event) => {
        const topic = topicFor(event.event, this.topics);
        const eventId = newEventId();
        const message = toEventMessage(event, eventId);
        const partition = this.partitioner({
          topic,
          partitionMetadata: await this.partitionsOf(topic),
          message,
        });
        return { topic, eventId, message: { ...message, partition } };
      }),
    );
    const byTopic = new Map<string, typeof planned>();
    for (const p of planned) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
    const metadata = await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, items]) => ({ topic, messages: items.map((i) => i.message) })),
    });
    // Offsets within one partition are consecutive from its baseOffset, in the order sent.
    const next = new Map(metadata.map((m) => [`${m.topicName}:${m.partition}`, BigInt(m.baseOffset ?? '0')]));
    const results = new Map<(typeof planned)[number], PublishedEvent>();
    for (const items of byTopic.values()) {
      for (const item of items) {
        const slot = `${item.topic}:${item.message.partition}`;
        const offset = next.get(slot) ?? 0n;
        next.set(slot, offset + 1n);
        results.set(item, {
          eventId: item.eventId,
          topic: item.topic,
          partition: item.message.partition,
          offset: String(offset),
        });
      }
    }
    return planned.map((p) => results.get(p)!);
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
