// The Kafka edge of the dispatcher, as a Nest custom transport strategy. The stock Kafka transport
// awaits each handler, so one slow endpoint would hold back fetching and heartbeats for every
// partition of its broker. Here each record is handed to the sink and the batch loop moves on at
// once; a partition is paused while too much of its work is buffered, and its offset is committed
// only up to the watermark (docs/decisions/0002-offset-commits.md).
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { JsonLogger } from '@vowchat/platform';
import { PartitionProgress } from './partition-progress';

/** A consumed record, as the sink sees it. */
export interface TakenRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: KafkaMessage['headers'];
}

/** Receives every record; calls `done` once all work for it is durable. Must not throw. */
export interface RecordSink {
  accept(record: TakenRecord, done: () => void): void;
}

export interface EventStreamOptions {
  groupId: string;
  topics: string[];
  /** In-flight records per partition before the partition is paused. */
  partitionBufferCap: number;
  sessionTimeoutMs: number;
  commitIntervalMs?: number;
  /** How long close() waits for in-flight work before committing what is durable. */
  drainTimeoutMs?: number;
}

export class EventStreamServer extends Server implements CustomTransportStrategy {
  private consumer: Consumer | null = null;
  private readonly progress = new Map<string, PartitionProgress>();
  private readonly paused = new Set<string>();
  private commitTimer: NodeJS.Timeout | null = null;
  private committing: Promise<void> = Promise.resolve();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: EventStreamOptions,
    private readonly sink: RecordSink,
    private readonly log: JsonLogger,
  ) {
    super();
  }

  /** Records taken and not yet durable, across partitions (a gauge). */
  get inFlight(): number {
    let n = 0;
    for (const p of this.progress.values()) n += p.inFlight;
    return n;
  }

  /** Partitions paused for back-pressure right now (a gauge). */
  get pausedPartitions(): number {
    return this.paused.size;
  }

  async listen(callback: () => void): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: Math.floor(this.options.sessionTimeoutMs / 5),
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.onAssignment(payload.memberAssignment));
    consumer.on(consumer.events.CRASH, ({ payload }) =>
      this.log.errorWith('event consumer crashed', {
        error: payload.error.message,
        restart: payload.restart,
      }),
    );
    await consumer.connect();
    await consumer.subscribe({ topics: this.options.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.takeBatch(payload),
    });
    this.commitTimer = setInterval(() => void this.commit(), this.options.commitIntervalMs ?? 250);
    this.log.info('event consumer running', { group: this.options.groupId, topics: this.options.topics });
    callback();
  }

  async close(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    this.consumer = null;
    // Stop fetching but stay in the group, so the final commit is accepted.
    consumer.pause(this.options.topics.map((topic) => ({ topic })));
    const deadline = Date.now() + (this.options.drainTimeoutMs ?? 10_000);
    while (this.inFlight > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    if (this.commitTimer) clearInterval(this.commitTimer);
    await this.commit(consumer);
    await consumer.disconnect();
    this.log.info('event consumer stopped', { in_flight_left: this.inFlight });
  }

  on(): void {
    throw new Error('EventStreamServer emits no events to subscribe to');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  private async takeBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const key = `${topic}:${partition}`;
    const progress = this.progressOf(key);
    let lastHeartbeat = Date.now();
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || this.paused.has(key)) break;
      const offset = Number(message.offset);
      if (progress.take(offset)) {
        const record: TakenRecord = {
          topic,
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key,
          value: message.value,
          headers: message.headers,
        };
        this.sink.accept(record, () => this.finish(key, topic, partition, progress, offset));
      }
      resolveOffset(message.offset);
      if (progress.inFlight >= this.options.partitionBufferCap)
        this.pause(key, topic, partition, progress.inFlight);
      if (Date.now() - lastHeartbeat > 1_000) {
        await heartbeat();
        lastHeartbeat = Date.now();
      }
    }
    await heartbeat();
  }

  private finish(
    key: string,
    topic: string,
    partition: number,
    progress: PartitionProgress,
    offset: number,
  ): void {
    progress.finish(offset);
    if (this.paused.has(key) && progress.inFlight <= this.options.partitionBufferCap / 2) {
      this.paused.delete(key);
      this.consumer?.resume([{ topic, partitions: [partition] }]);
      this.log.debug('partition resumed', { topic, partition, in_flight: progress.inFlight });
    }
  }

  private pause(key: string, topic: string, partition: number, inFlight: number): void {
    if (this.paused.has(key)) return;
    this.paused.add(key);
    this.consumer?.pause([{ topic, partitions: [partition] }]);
    this.log.info('partition paused: buffered work over cap', {
      topic,
      partition,
      in_flight: inFlight,
      cap: this.options.partitionBufferCap,
    });
  }

  private progressOf(key: string): PartitionProgress {
    let p = this.progress.get(key);
    if (!p) {
      p = new PartitionProgress();
      this.progress.set(key, p);
    }
    return p;
  }

  /** Forget partitions this member no longer owns: whoever owns them now resumes from their commit. */
  private onAssignment(assignment: Record<string, number[]>): void {
    const owned = new Set(
      Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => `${topic}:${p}`)),
    );
    for (const key of [...this.progress.keys()]) {
      if (!owned.has(key)) {
        this.progress.delete(key);
        this.paused.delete(key);
      }
    }
    this.log.info('partitions assigned', { partitions: [...owned] });
  }

  private commit(consumer = this.consumer): Promise<void> {
    // One commit at a time; a tick that finds one running skips.
    this.committing = this.committing.then(async () => {
      if (!consumer) return;
      const offsets: { topic: string; partition: number; offset: string }[] = [];
      const marks: (() => void)[] = [];
      for (const [key, progress] of this.progress) {
        const candidate = progress.commitCandidate();
        if (candidate === null) continue;
        const sep = key.lastIndexOf(':');
        offsets.push({
          topic: key.slice(0, sep),
          partition: Number(key.slice(sep + 1)),
          offset: String(candidate),
        });
        marks.push(() => progress.markCommitted(candidate));
      }
      if (offsets.length === 0) return;
      try {
        await consumer.commitOffsets(offsets);
        marks.forEach((mark) => mark());
      } catch (error) {
        this.log.warnWith('offset commit failed; will retry', { error: (error as Error).message });
      }
    });
    return this.committing;
  }
}
