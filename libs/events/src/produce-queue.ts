// One idempotent producer, one produce request at a time, the records of every caller in it.
//
// Why one at a time: kafkajs numbers each partition's records for the idempotent producer when it
// builds a request and takes the numbers back when the request fails on the client side (a closed
// connection, a timeout), although the broker may have appended the records. Any other request
// built on the same producer before the failed one is retried reuses those numbers, and the broker
// acknowledges it as a duplicate of what it appended, with that batch's offset: the caller is told
// its event is at an offset that holds another event, and its own is nowhere (decision 0015).
// Sending one request at a time closes that: kafkajs's own retry of the failed request is then the
// next thing built, with the same records under the same numbers, which the broker rightly takes as
// the duplicate it is. After a request fails for good, the producer is never used again: the next
// request goes out on a new producer (a new producer id numbers from zero).
//
// Each caller's records are answered together (`send`), with where each landed, once the broker
// acknowledged every one of them; a record the broker refuses fails only its own caller. Every send
// has a deadline, and the queue is bounded in bytes and sends: past either, the caller is refused
// at once, never left waiting.
import { Partitioners, type Kafka, type Message, type Producer, type RetryOptions } from 'kafkajs';
import { isProducerStateError, kafkaProtocolError, recordRefusal } from './produce-error';

/** One record to send, to a partition chosen by the caller. */
export interface QueuedRecord {
  topic: string;
  partition: number;
  message: Message;
  /** recordBytes(message): what it takes against its partition's batch capacity. */
  bytes: number;
}

/** Where one record landed. */
export interface RecordPosition {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * The records were not all acknowledged in time. Some may be in Kafka all the same: send them again
 * under the same event ids, so receivers see one event however many copies Kafka holds.
 */
export class PublishTimeoutError extends Error {
  readonly retriable = true;
  constructor(
    readonly timeoutMs: number,
    reason: string,
  ) {
    super(`Kafka did not acknowledge the records within ${timeoutMs} ms (${reason})`);
    this.name = 'PublishTimeoutError';
  }
}

/** Refused before queueing: too much already waits for Kafka. Nothing was sent. */
export class PublishQueueFullError extends Error {
  readonly retriable = true;
  constructor(message: string) {
    super(message);
    this.name = 'PublishQueueFullError';
  }
}

/** Refused: the queue is closing. Nothing was sent. */
export class PublisherClosedError extends Error {
  readonly retriable = true;
  constructor() {
    super('the publisher is closed');
    this.name = 'PublisherClosedError';
  }
}

export interface ProduceQueueOptions {
  /** The most bytes one partition's records may take in one request (its batch capacity). */
  capacityOf: (topic: string) => number;
  /** How long a send may take, queueing included, before it is answered PublishTimeoutError. Default 30 s. */
  timeoutMs?: number;
  /** How long the first records wait for company when nothing is in flight, in ms. Default 0. */
  lingerMs?: number;
  /** Most bytes in one produce request (all partitions). Default 16 MiB. */
  maxRequestBytes?: number;
  /** Most bytes of records waiting or in flight before a send is refused. Default 64 MiB. */
  maxQueuedBytes?: number;
  /** Most sends waiting or in flight before another is refused. Default 10,000. */
  maxQueuedSends?: number;
  /**
   * kafkajs's own retries of one request (the same records under the same producer id: the broker
   * deduplicates them). Default 3 retries, 100 ms doubling to 500 ms.
   */
  producerRetry?: RetryOptions;
  /** Told when a producer is put aside after a failed request, and why. */
  onProducerReplaced?: (reason: string) => void;
}

interface Send {
  positions: RecordPosition[];
  remaining: number;
  bytes: number;
  deadline: number;
  done: boolean;
  timer: NodeJS.Timeout;
  resolve: (positions: RecordPosition[]) => void;
  reject: (error: unknown) => void;
}

interface Entry {
  send: Send;
  index: number;
  record: QueuedRecord;
}

interface Handle {
  producer: Producer;
  connected: boolean;
}

const DEFAULT_PRODUCER_RETRY: RetryOptions = { retries: 3, initialRetryTime: 100, maxRetryTime: 500 };
const BACKOFF_MIN_MS = 50;
const BACKOFF_MAX_MS = 500;

export class ProduceQueue {
  private queue: Entry[] = [];
  private head = 0;
  private queuedBytes = 0;
  private queuedSends = 0;
  private running = false;
  private closed = false;
  private handle: Handle | undefined;
  private backoffMs = 0;
  /** Sends of a refused batch, sent one at a time until each has gone or failed on its own. */
  private readonly isolate = new Set<Send>();
  /** Producers put aside while a request of theirs was still in flight: closed once it ends. */
  private readonly abandoned = new Set<Promise<void>>();
  private readonly timeoutMs: number;
  private readonly lingerMs: number;
  private readonly maxRequestBytes: number;
  private readonly maxQueuedBytes: number;
  private readonly maxQueuedSends: number;
  private drained: (() => void)[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly options: ProduceQueueOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.lingerMs = options.lingerMs ?? 0;
    this.maxRequestBytes = options.maxRequestBytes ?? 16 * 1024 * 1024;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 64 * 1024 * 1024;
    this.maxQueuedSends = options.maxQueuedSends ?? 10_000;
  }

  /** Connects the first producer (throws while Kafka is unreachable). */
  async connect(): Promise<void> {
    await this.currentProducer();
  }

  /** Sends waiting or in flight, and their bytes. */
  get pending(): { sends: number; bytes: number } {
    return { sends: this.queuedSends, bytes: this.queuedBytes };
  }

  /**
   * Queues one caller's records; resolves with where each landed (in the order given) once the
   * broker acknowledged all of them. Rejects with PublishQueueFullError at once when the queue is
   * full, with PublishTimeoutError at the deadline, or with the broker's error when it refused them.
   */
  send(records: readonly QueuedRecord[], timeoutMs = this.timeoutMs): Promise<RecordPosition[]> {
    if (this.closed) return Promise.reject(new PublisherClosedError());
    if (records.length === 0) return Promise.resolve([]);
    const bytes = records.reduce((sum, r) => sum + r.bytes, 0);
    if (this.queuedSends >= this.maxQueuedSends)
      return Promise.reject(
        new PublishQueueFullError(
          `${this.queuedSends} publishes already wait for Kafka (the most is ${this.maxQueuedSends})`,
        ),
      );
    if (this.queuedBytes > 0 && this.queuedBytes + bytes > this.maxQueuedBytes)
      return Promise.reject(
        new PublishQueueFullError(
          `${this.queuedBytes} bytes already wait for Kafka; ${bytes} more would pass the ${this.maxQueuedBytes} allowed`,
        ),
      );
    return new Promise<RecordPosition[]>((resolve, reject) => {
      const send: Send = {
        positions: new Array<RecordPosition>(records.length),
        remaining: records.length,
        bytes,
        deadline: Date.now() + timeoutMs,
        done: false,
        timer: setTimeout(
          () => this.fail(send, new PublishTimeoutError(timeoutMs, 'no acknowledgement yet')),
          timeoutMs,
        ),
        resolve,
        reject,
      };
      this.queuedBytes += bytes;
      this.queuedSends++;
      records.forEach((record, index) => this.queue.push({ send, index, record }));
      void this.run();
    });
  }

  /** Stops taking sends, waits for those queued to be answered, and closes the producers. */
  async disconnect(): Promise<void> {
    this.closed = true;
    if (this.queuedSends > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
    await Promise.all(this.abandoned);
    const handle = this.handle;
    this.handle = undefined;
    if (handle?.connected) await handle.producer.disconnect();
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      // Records arriving together go together: wait a moment for company (at least until the
      // requests read in this turn of the event loop have queued theirs), then send; while a
      // request is in flight the next one fills up by itself.
      if (this.lingerMs > 0) await sleep(this.lingerMs);
      else await new Promise((resolve) => setImmediate(resolve));
      for (;;) {
        const batch = this.take();
        if (batch.length === 0) break;
        await this.sendBatch(batch);
      }
    } finally {
      this.running = false;
    }
  }

  /** The next request: a prefix of the live records, no partition over its capacity. */
  private take(): Entry[] {
    const batch: Entry[] = [];
    const used = new Map<string, number>();
    let total = 0;
    let i = this.head;
    for (; i < this.queue.length; i++) {
      const entry = this.queue[i];
      if (entry.send.done) continue;
      const { topic, partition, bytes } = entry.record;
      if (batch.length > 0) {
        const slot = `${topic}\0${partition}`;
        if ((used.get(slot) ?? 0) + bytes > this.options.capacityOf(topic)) break;
        if (total + bytes > this.maxRequestBytes) break;
        if (entry.send !== batch[0].send && (this.isolate.has(entry.send) || this.isolate.has(batch[0].send)))
          break;
      }
      const slot = `${topic}\0${partition}`;
      used.set(slot, (used.get(slot) ?? 0) + bytes);
      total += bytes;
      batch.push(entry);
    }
    this.head = i;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    return batch;
  }

  /** Puts records back at the front of the queue, in their order, to go before anything newer. */
  private requeue(batch: Entry[]): void {
    const live = batch.filter((e) => !e.send.done);
    this.queue = [...live, ...this.queue.slice(this.head)];
    this.head = 0;
  }

  private async sendBatch(batch: Entry[]): Promise<void> {
    if (this.backoffMs > 0) await sleep(this.backoffMs);
    let handle: Handle;
    try {
      handle = await this.currentProducer();
    } catch (error) {
      this.failedAttempt(batch, error);
      return;
    }
    const byTopic = new Map<string, Message[]>();
    for (const { record } of batch) {
      const message = { ...record.message, partition: record.partition };
      const messages = byTopic.get(record.topic);
      if (messages) messages.push(message);
      else byTopic.set(record.topic, [message]);
    }
    const sending = handle.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
    // Every send in the batch is answered by its deadline; past the last one nothing waits for this
    // request, and the queue moves on with a new producer rather than wait behind it.
    const latest = Math.max(...batch.map((e) => e.send.deadline));
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      sending.then(
        (metadata) => ({ ok: true as const, metadata }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
      new Promise<{ ok: false; error: 'abandoned' }>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, error: 'abandoned' }),
          Math.max(0, latest - Date.now()),
        );
      }),
    ]);
    clearTimeout(timer);
    if (!outcome.ok) {
      if (outcome.error === 'abandoned') {
        this.retire(handle, 'a produce request outlived the deadline of every record in it', sending);
        for (const e of batch)
          this.fail(e.send, new PublishTimeoutError(this.timeoutMs, 'the request is still in flight'));
        return;
      }
      this.retire(handle, `a produce request failed: ${describe(outcome.error)}`);
      this.failedAttempt(batch, outcome.error);
      return;
    }
    this.backoffMs = 0;
    // Offsets within one partition are consecutive from its base offset, in the order sent.
    const next = new Map<string, bigint>();
    for (const m of outcome.metadata)
      next.set(`${m.topicName}\0${m.partition}`, BigInt(m.baseOffset ?? '-1'));
    for (const entry of batch) {
      const { topic, partition } = entry.record;
      const slot = `${topic}\0${partition}`;
      const offset = next.get(slot);
      if (offset === undefined || offset < 0n) {
        this.fail(entry.send, new Error(`Kafka acknowledged ${topic}/${partition} without an offset`));
        continue;
      }
      next.set(slot, offset + 1n);
      this.landed(entry, { topic, partition, offset: String(offset) });
    }
    if (new Set(batch.map((e) => e.send)).size === 1) this.isolate.delete(batch[0].send);
  }

  /** After a failed request: refuse what can never succeed, put the rest back to try again. */
  private failedAttempt(batch: Entry[], error: unknown): void {
    const sends = [...new Set(batch.map((e) => e.send))].filter((s) => !s.done);
    if (recordRefusal(error) !== undefined) {
      // The broker refused some record of the request: send each caller's records alone, so the
      // refusal reaches only the callers whose records it concerns.
      if (sends.length === 1) {
        this.isolate.delete(sends[0]);
        this.fail(sends[0], error);
        return;
      }
      for (const send of sends) this.isolate.add(send);
      this.requeue(batch);
      return;
    }
    const protocol = kafkaProtocolError(error);
    if (protocol && !protocol.retriable && !isProducerStateError(protocol.type)) {
      for (const send of sends) this.fail(send, error); // e.g. no rights to the topic: only an operator can fix it
      return;
    }
    this.backoffMs = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, this.backoffMs * 2));
    this.requeue(batch);
  }

  private landed(entry: Entry, position: RecordPosition): void {
    const { send } = entry;
    if (send.done) return;
    send.positions[entry.index] = position;
    if (--send.remaining === 0) this.settle(send, () => send.resolve(send.positions));
  }

  private fail(send: Send, error: unknown): void {
    this.isolate.delete(send);
    this.settle(send, () => send.reject(error));
  }

  private settle(send: Send, answer: () => void): void {
    if (send.done) return;
    send.done = true;
    clearTimeout(send.timer);
    this.queuedBytes -= send.bytes;
    this.queuedSends--;
    answer();
    if (this.queuedSends === 0) this.drained.splice(0).forEach((wake) => wake());
  }

  private async currentProducer(): Promise<Handle> {
    if (this.handle) return this.handle;
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner, // unused: every record names its partition
      retry: this.options.producerRetry ?? DEFAULT_PRODUCER_RETRY,
    });
    const handle: Handle = { producer, connected: false };
    try {
      await producer.connect(); // a new producer id, sequences from zero
    } catch (error) {
      void producer.disconnect().catch(() => undefined);
      throw error;
    }
    handle.connected = true;
    this.handle = handle;
    return handle;
  }

  /** Never sends on `handle` again; closes it, once `inFlight` (a request still out) has ended. */
  private retire(handle: Handle, reason: string, inFlight?: Promise<unknown>): void {
    if (this.handle === handle) this.handle = undefined;
    this.options.onProducerReplaced?.(reason);
    const closing = (inFlight ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => handle.producer.disconnect())
      .catch(() => undefined);
    this.abandoned.add(closing);
    void closing.finally(() => this.abandoned.delete(closing));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
