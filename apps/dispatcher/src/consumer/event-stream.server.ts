// The Kafka edge of the dispatcher, as a Nest custom transport strategy. The stock Kafka transport
// awaits each handler, so one slow endpoint would hold back fetching and heartbeats for every
// partition of its broker. Here each record is handed to the sink and the batch loop moves on at
// once; a partition is paused while too much of its work is buffered (in records, or in bytes
// across partitions, so a burst of large records cannot grow the heap past a budget), and its
// offset is committed only up to the watermark (docs/decisions/0002-offset-commits.md).
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
  /** In-flight bytes (keys, values, headers) across partitions before taking partitions pause (default 64 MiB). */
  bufferBytesCap?: number;
  /** A partition whose watermark has not moved for this long while it has work is reported stalled. */
  stallThresholdMs?: number;
  sessionTimeoutMs: number;
  commitIntervalMs?: number;
  /** How long close() waits for in-flight work before committing what is durable. */
  drainTimeoutMs?: number;
  /** Told the group's member count after each join (endpoint rate limits are shared among them). */
  onGroupMembers?: (count: number) => void;
}

export class EventStreamServer extends Server implements CustomTransportStrategy {
  private consumer: Consumer | null = null;
  private readonly progress = new Map<string, PartitionProgress>();
  private readonly paused = new Set<string>();
  private readonly highWatermarks = new Map<string, number>();
  private commitTimer: NodeJS.Timeout | null = null;
  private committing: Promise<void> = Promise.resolve();
  private running = false;
  private readonly bufferBytesCap: number;
  private joined = false;
  private bytes = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: EventStreamOptions,
    private readonly sink: RecordSink,
    private readonly log: JsonLogger,
  ) {
    super();
    this.bufferBytesCap = options.bufferBytesCap ?? 64 * 1024 * 1024;
  }

  /** Records taken and not yet durable, across partitions (a gauge). */
  get inFlight(): number {
    let n = 0;
    for (const p of this.progress.values()) n += p.inFlight;
    return n;
  }

  /** Bytes of the records in flight, across partitions (a gauge; what the byte budget bounds). */
  get inFlightBytes(): number {
    return this.bytes;
  }

  /** Partitions paused for back-pressure right now (a gauge). */
  get pausedPartitions(): number {
    return this.paused.size;
  }

  /** Whether the consumer runs and has joined its group (readiness; Nest's Server owns `status`). */
  consumerStatus(): { running: boolean; joined: boolean; assigned: number } {
    return { running: this.running, joined: this.joined, assigned: this.progress.size };
  }

  /** Partitions whose watermark has not moved for longer than the stall threshold while holding work. */
  stalledPartitions(now = Date.now()): StalledPartition[] {
    const threshold = this.options.stallThresholdMs ?? 120_000;
    const stalled: StalledPartition[] = [];
    for (const [key, progress] of this.progress) {
      const stalledForMs = progress.stalledForMs(now);
      if (stalledForMs < threshold) continue;
      const { topic, partition } = splitKey(key);
      stalled.push({
        topic,
        partition,
        stalledForMs,
        inFlight: progress.inFlight,
        watermark: progress.watermark,
      });
    }
    return stalled;
  }

  /** Per partition: records between the watermark and the partition's end, and the oldest one's age. */
  partitionLag(now = Date.now()): PartitionLag[] {
    const lags: PartitionLag[] = [];
    for (const [key, progress] of this.progress) {
      const { topic, partition } = splitKey(key);
      const high = this.highWatermarks.get(key) ?? null;
      const watermark = progress.watermark;
      const lagRecords = high !== null && watermark !== null ? Math.max(0, high - watermark) : 0;
      lags.push({ topic, partition, lagRecords, lagSeconds: progress.lagMs(now, high) / 1000 });
    }
    return lags;
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
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.joined = true;
      this.onAssignment(payload.memberAssignment);
      const onGroupMembers = this.options.onGroupMembers;
      if (onGroupMembers)
        consumer
          .describeGroup()
          .then(({ members }) => onGroupMembers(members.length))
          .catch((error: Error) =>
            this.log.warnWith('consumer group not described', { error: error.message }),
          );
    });
    consumer.on(consumer.events.REBALANCING, () => (this.joined = false));
    consumer.on(consumer.events.STOP, () => (this.running = false));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.joined = false;
      this.running = payload.restart;
      this.log.errorWith('event consumer crashed', {
        error: payload.error.message,
        restart: payload.restart,
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.options.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.takeBatch(payload),
    });
    this.running = true;
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
    this.highWatermarks.set(key, Number(batch.highWatermark));
    let lastHeartbeat = Date.now();
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || this.paused.has(key)) break;
      const offset = Number(message.offset);
      const bytes = recordBytes(message);
      if (progress.take(offset, bytes, Number(message.timestamp), Date.now())) {
        this.bytes += bytes;
        const record: TakenRecord = {
          topic,
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key,
          value: message.value,
          headers: message.headers,
        };
        this.sink.accept(record, () => this.finish(key, progress, offset));
      }
      resolveOffset(message.offset);
      if (progress.inFlight >= this.options.partitionBufferCap)
        this.pause(key, topic, partition, 'records', progress.inFlight);
      else if (this.bytes >= this.bufferBytesCap)
        this.pause(key, topic, partition, 'bytes', progress.inFlight);
      if (Date.now() - lastHeartbeat > 1_000) {
        await heartbeat();
        lastHeartbeat = Date.now();
      }
    }
    await heartbeat();
  }

  private finish(key: string, progress: PartitionProgress, offset: number): void {
    const before = progress.inFlightBytes;
    progress.finish(offset, Date.now());
    // A partition revoked meanwhile already left the byte budget (onAssignment).
    if (this.progress.get(key) === progress) this.bytes -= before - progress.inFlightBytes;
    for (const pausedKey of this.paused) {
      const p = this.progress.get(pausedKey);
      if (p) this.resumeIfUnderBudget(pausedKey, p);
    }
  }

  private resumeIfUnderBudget(key: string, progress: PartitionProgress): void {
    if (progress.inFlight > this.options.partitionBufferCap / 2) return;
    if (this.bytes > this.bufferBytesCap / 2) return;
    const { topic, partition } = splitKey(key);
    this.paused.delete(key);
    this.consumer?.resume([{ topic, partitions: [partition] }]);
    this.log.debug('partition resumed', {
      topic,
      partition,
      in_flight: progress.inFlight,
      in_flight_bytes: this.bytes,
    });
  }

  private pause(
    key: string,
    topic: string,
    partition: number,
    over: 'records' | 'bytes',
    inFlight: number,
  ): void {
    if (this.paused.has(key)) return;
    this.paused.add(key);
    this.consumer?.pause([{ topic, partitions: [partition] }]);
    this.log.debug('partition paused: buffered work over cap', {
      topic,
      partition,
      over,
      in_flight: inFlight,
      in_flight_bytes: this.bytes,
      cap: over === 'records' ? this.options.partitionBufferCap : this.bufferBytesCap,
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
    for (const [key, progress] of [...this.progress]) {
      if (!owned.has(key)) {
        // Work still in flight for it finishes into the forgotten progress; its bytes leave the budget now.
        this.bytes -= progress.inFlightBytes;
        this.progress.delete(key);
        this.paused.delete(key);
        this.highWatermarks.delete(key);
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
        offsets.push({ ...splitKey(key), offset: String(candidate) });
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

export interface StalledPartition {
  topic: string;
  partition: number;
  stalledForMs: number;
  inFlight: number;
  /** The lowest offset whose work is not durable: the record the partition waits on. */
  watermark: number | null;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  lagRecords: number;
  lagSeconds: number;
}

function splitKey(key: string): { topic: string; partition: number } {
  const sep = key.lastIndexOf(':');
  return { topic: key.slice(0, sep), partition: Number(key.slice(sep + 1)) };
}

/** What a record holds in memory: its key, value and headers. */
function recordBytes(message: KafkaMessage): number {
  let bytes = (message.key?.length ?? 0) + (message.value?.length ?? 0);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    bytes += name.length;
    if (Array.isArray(value)) for (const v of value) bytes += v?.length ?? 0;
    else bytes += value?.length ?? 0;
  }
  return bytes;
}
