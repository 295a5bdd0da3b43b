// One scenario's system, on real processes: its own topics, consumer group and Postgres schema, a
// receiver counting (event, webhook) pairs, dispatchers as child processes from dist/ (so they can be
// SIGKILLed), a publisher (the library's EventPublisher, or the producer app over HTTP), a tail of
// the delivery topic, and the comparison of Postgres with that topic at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { Client } from 'pg';
import {
  allTopics,
  EventPublisher,
  exampleEvent,
  TOPIC_ENV_VARS,
  type EventType,
  type TopicNames,
  type VowChatEvent,
} from '@vowchat/events';
import { ensureTopics } from '@vowchat/platform';
import { freePort, uniqueName } from '../test/support/names';
import { startReceiver, type Behaviour, type Receiver } from '../test/support/receiver';
import packageJson from '../package.json';
import {
  API_TOKEN,
  createWebhook,
  dispatcherEnv,
  type SpawnedDispatcher,
  type SystemNames,
} from '../test/support/system';
import { distDir } from './dist-snapshot';
import { startTcpProxy, type TcpProxy } from '../test/support/tcp-proxy';
import { waitFor } from '../test/support/wait-for';
import { PairTally } from './pair-tally';
import { log } from './progress';

const ROOT = join(__dirname, '..');
export const CHAOS_LOG_DIR = join(ROOT, '.run/chaos-logs');

/** Where a scenario's Kafka and Postgres are. */
export interface Infra {
  brokers: string[];
  replicationFactor: number;
  databaseUrl: string;
}

export interface ChaosSystemOptions {
  scenario: string;
  infra: Infra;
  accounts: number;
  webhooksPerAccount: number;
  /** Most events the scenario will publish (sizes the tally). */
  capacity: number;
  partitions?: number;
  /** Dispatcher variables over the chaos defaults. */
  dispatcherEnv?: Record<string, string>;
  /** Event types the load cycles through (every webhook subscribes to all of them). */
  eventTypes?: EventType[];
  /** Keep every new pair's arrival per slot (for per-endpoint timelines). */
  keepSlotArrivals?: boolean;
}

/**
 * Chaos defaults: the production breaker and concurrency, but a compressed retry schedule (seven
 * attempts over about 3 minutes instead of 2 days), so an outage of a minute is retried through
 * within a run, and a failed delivery goes dead (and counts as lost) only after 3 minutes of failures.
 */
export const CHAOS_DISPATCHER_ENV: Readonly<Record<string, string>> = {
  RETRY_SCHEDULE_MS: '1000,2000,5000,10000,20000,40000,90000',
  RETRY_POLL_MS: '250',
  BREAKER_RESET_TIMEOUT_MS: '2000',
  LOG_LEVEL: 'warn',
};

export interface Readiness {
  at: number;
  status: number;
  failing: string[];
}

export class ChaosSystem {
  readonly names: SystemNames;
  readonly tally: PairTally;
  readonly kafka: Kafka;
  readonly dispatchers: (SpawnedDispatcher | undefined)[] = [];
  readonly readiness: Readiness[] = [];
  receiver!: Receiver;
  /** The receiver sits behind this proxy: cut it to take every endpoint down at once. */
  receiverProxy!: TcpProxy;
  publisher?: EventPublisher;
  producer?: ChildProcess & { url: string; token: string };
  readonly publishFailures = new Map<string, number>();
  /** Each producer API answer: when, and its status (0: no answer). */
  readonly httpAnswers: { at: number; status: number }[] = [];
  /** Distinct attempt ids and delivery ids on the delivery topic, as the tail has read so far. */
  readonly topicAttempts = new Set<string>();
  readonly topicDeliveries = new Set<string>();
  /** Delivery ids with a `delivered` attempt on the delivery topic. */
  readonly topicDelivered = new Set<string>();
  private readonly tailPositions = new Map<number, string>();
  private tail?: Consumer;
  private readinessTimer?: NodeJS.Timeout;
  private readonly ports: number[] = [];
  private readonly logFile: string;
  private readonly eventTypes: EventType[];
  /** Slots answering with a failure now: their requests are attempts, not deliveries. */
  private readonly failingSlots = new Set<number>();
  private readonly secretKey = randomBytes(32).toString('base64');

  constructor(readonly options: ChaosSystemOptions) {
    const prefix = uniqueName(`chaos_${options.scenario.replaceAll('-', '_')}`);
    this.names = {
      prefix,
      topics: {
        conversations: `${prefix}.conversations`,
        messages: `${prefix}.messages`,
        typing: `${prefix}.typing`,
        deadLetter: `${prefix}.dead-letter`,
        deliveries: `${prefix}.deliveries`,
        webhooks: `${prefix}.webhooks`,
        credentials: `${prefix}.credentials`,
      },
      groupId: `${prefix}-dispatcher`,
      schema: prefix.toLowerCase(),
    };
    this.tally = new PairTally(options.capacity, options.webhooksPerAccount, options.keepSlotArrivals);
    this.tally.answersOk = (path) =>
      this.failingSlots.size === 0 || !this.failingSlots.has(Number(/^\/chaos\/\d+\/(\d+)/.exec(path)?.[1]));
    this.kafka = new Kafka({
      clientId: 'vowchat-chaos',
      brokers: options.infra.brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5_000 },
    });
    this.eventTypes = options.eventTypes ?? [
      'message_created',
      'conversation_created',
      'conversation_typing_on',
    ];
    mkdirSync(CHAOS_LOG_DIR, { recursive: true });
    this.logFile = join(CHAOS_LOG_DIR, `${options.scenario}.log`);
  }

  get partitions(): number {
    return this.options.partitions ?? 6;
  }

  /** Creates the topics at the infra's replication, starts the receiver (behind its proxy) and the tail. */
  async prepare(): Promise<void> {
    const { replicationFactor } = this.options.infra;
    const p = this.partitions;
    await ensureTopics(
      this.kafka,
      [
        { topic: this.names.topics.conversations, partitions: p },
        { topic: this.names.topics.messages, partitions: p },
        { topic: this.names.topics.typing, partitions: p },
        { topic: this.names.topics.deadLetter, partitions: p },
        { topic: this.names.topics.deliveries, partitions: p },
        { topic: this.names.topics.webhooks, partitions: p, compacted: true },
      ],
      { replicationFactor },
    );
    this.receiver = await startReceiver({ record: false, onRequest: this.tally.onRequest });
    const port = Number(new URL(this.receiver.origin).port);
    this.receiverProxy = await startTcpProxy('127.0.0.1', port);
    await this.startTail();
  }

  dispatcherEnvironment(overrides: Record<string, string> = {}): Record<string, string> {
    return dispatcherEnv(this.names, {
      KAFKA_BROKERS: this.options.infra.brokers.join(','),
      KAFKA_REPLICATION_FACTOR: String(this.options.infra.replicationFactor),
      KAFKA_TOPIC_PARTITIONS: String(this.partitions),
      DATABASE_URL: this.options.infra.databaseUrl,
      // Every instance and restart of this system seals and opens webhook secrets with one key.
      SECRET_ENCRYPTION_KEYS: `chaos:${this.secretKey}`,
      ...CHAOS_DISPATCHER_ENV,
      ...this.options.dispatcherEnv,
      ...overrides,
    });
  }

  /** Starts dispatcher `index` (a child process; the same port on every restart of that index). */
  async startDispatcher(index = 0, overrides: Record<string, string> = {}): Promise<SpawnedDispatcher> {
    this.ports[index] ??= await freePort();
    const dispatcher = await this.spawnDispatcher(this.dispatcherEnvironment(overrides), this.ports[index]);
    this.dispatchers[index] = dispatcher;
    return dispatcher;
  }

  /**
   * test/support/system.ts's spawnDispatcher, from `distDir()` (a snapshot of the build) and
   * failing as soon as the child exits instead of at the deadline.
   */
  private async spawnDispatcher(env: Record<string, string>, port: number): Promise<SpawnedDispatcher> {
    const [, ...args] = packageJson.scripts['start:dispatcher'].split(' ');
    const main = join(distDir(), 'apps/dispatcher/src/main.js');
    const logFd = openSync(this.logFile, 'a');
    const child = spawn(
      process.execPath,
      args.map((a) => (a.endsWith('dispatcher/src/main.js') ? main : a)),
      {
        cwd: ROOT,
        env: { ...process.env, ...env, PORT: String(port) },
        stdio: ['ignore', logFd, 'pipe'],
      },
    );
    closeSync(logFd);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const baseUrl = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`dispatcher exited ${child.exitCode}: ${stderr.slice(0, 2_000)}`);
      const ok = await fetch(`${baseUrl}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(
          `dispatcher on port ${port} did not answer /health within 60 s: ${stderr.slice(0, 2_000)}`,
        );
      }
      await sleep(100);
    }
    const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    };
    return { child, baseUrl, kill, stop: () => kill('SIGTERM') };
  }

  async killDispatcher(index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.dispatchers[index]?.kill(signal);
    this.dispatchers[index] = undefined;
  }

  /** A running dispatcher's base URL (the first one running). */
  get anyDispatcher(): SpawnedDispatcher {
    const running = this.dispatchers.find((d) => d !== undefined);
    if (!running) throw new Error('no dispatcher is running');
    return running;
  }

  /** Registers every account's webhooks, one receiver path each, subscribed to the load's event types. */
  async createWebhooks(): Promise<void> {
    const { accounts, webhooksPerAccount } = this.options;
    for (let a = 0; a < accounts; a++)
      for (let slot = 0; slot < webhooksPerAccount; slot++)
        await createWebhook(
          this.anyDispatcher.baseUrl,
          this.accountId(a),
          `${this.receiverUrl()}${this.pathOf(a, slot)}`,
          this.eventTypes,
        );
    // Every running dispatcher must know them before events flow.
    for (const d of this.dispatchers.filter((x) => x !== undefined))
      await waitFor(
        'the dispatcher registry to hold every webhook',
        async () => {
          const health = (await (await fetch(`${d.baseUrl}/health`)).json()) as { webhooks: number };
          return health.webhooks >= accounts * webhooksPerAccount;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
  }

  receiverUrl(): string {
    return `http://127.0.0.1:${this.receiverProxy.port}`;
  }

  pathOf(accountIndex: number, slot: number): string {
    return `/chaos/${accountIndex}/${slot}`;
  }

  /** Makes one slot of every account answer as told. */
  behaveSlot(slot: number, behaviour: Behaviour): void {
    for (let a = 0; a < this.options.accounts; a++) this.receiver.behave(this.pathOf(a, slot), behaviour);
    if (behaviour.kind === 'ok') this.failingSlots.delete(slot);
    else this.failingSlots.add(slot);
  }

  accountId(index: number): number {
    return 70_000 + index;
  }

  eventFor(seq: number, runId: string): VowChatEvent {
    const a = seq % this.options.accounts;
    const type = this.eventTypes[Math.floor(seq / this.options.accounts) % this.eventTypes.length];
    const event = exampleEvent(type, { id: this.accountId(a), name: `Chaos ${a}` });
    return { ...event, chaos_seq: seq, chaos_run: runId };
  }

  async connectPublisher(): Promise<void> {
    this.publisher = new EventPublisher(this.kafka, this.names.topics, { timeoutMs: 15_000 });
    await this.publisher.connect();
  }

  /** Starts the producer app (dist/) as a child process on this system's topics. */
  async startProducer(): Promise<void> {
    const port = await freePort();
    const token = 'chaos-producer-token';
    const topicVars = Object.fromEntries(
      (Object.keys(TOPIC_ENV_VARS) as (keyof TopicNames)[]).map((k) => [
        TOPIC_ENV_VARS[k],
        this.names.topics[k],
      ]),
    );
    const logFd = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [join(distDir(), 'apps/producer/src/main.js')], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...topicVars,
        PORT: String(port),
        PRODUCER_API_TOKEN: token,
        KAFKA_BROKERS: this.options.infra.brokers.join(','),
        KAFKA_REPLICATION_FACTOR: String(this.options.infra.replicationFactor),
        KAFKA_TOPIC_PARTITIONS: String(this.partitions),
        PUBLISH_RATE_LIMIT_PER_ACCOUNT: '0',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      'the producer to answer /health/live',
      async () => {
        if (child.exitCode !== null)
          throw new Error(`producer exited ${child.exitCode} (log: ${this.logFile})`);
        return (await fetch(`${url}/health/live`)).ok;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    this.producer = Object.assign(child, { url, token });
  }

  /**
   * Publishes `count` events from `firstSeq` at `perSecond`, in batches, `concurrency` batches at
   * a time, through the library or the producer's HTTP API. Failures are counted, never retried
   * (a failed publish is not acknowledged, so nothing is expected of it).
   */
  async publishPaced({
    firstSeq = 0,
    count,
    perSecond,
    batchSize = 50,
    concurrency = 4,
    via = 'library',
    stop,
  }: {
    firstSeq?: number;
    count: number;
    perSecond: number;
    batchSize?: number;
    concurrency?: number;
    via?: 'library' | 'http';
    stop?: () => boolean;
  }): Promise<void> {
    const runId = this.names.prefix;
    const started = Date.now();
    let next = firstSeq;
    const end = firstSeq + count;
    const loop = async () => {
      while (next < end && !stop?.()) {
        const from = next;
        const to = Math.min(end, from + batchSize);
        next = to;
        const dueAt = started + ((from - firstSeq) * 1000) / perSecond;
        if (dueAt > Date.now()) await sleep(dueAt - Date.now());
        const seqs = Array.from({ length: to - from }, (_, i) => from + i);
        this.tally.attempted += seqs.length;
        if (via === 'library') await this.publishLibrary(seqs, runId);
        else await this.publishHttp(seqs, runId);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
  }

  private async publishLibrary(seqs: number[], runId: string): Promise<void> {
    try {
      await this.publisher!.publishMany(seqs.map((s) => this.eventFor(s, runId)));
      const at = Date.now();
      for (const s of seqs) this.tally.markAcked(s, at);
    } catch (error) {
      this.countFailure(`library: ${(error as Error).name}: ${(error as Error).message.slice(0, 80)}`);
    }
  }

  private async publishHttp(seqs: number[], runId: string): Promise<void> {
    const byAccount = new Map<number, number[]>();
    for (const s of seqs) {
      const a = s % this.options.accounts;
      byAccount.set(a, [...(byAccount.get(a) ?? []), s]);
    }
    await Promise.all(
      [...byAccount].map(async ([a, group]) => {
        try {
          const response = await fetch(
            `${this.producer!.url}/api/v1/accounts/${this.accountId(a)}/events/batch`,
            {
              method: 'POST',
              headers: {
                authorization: `Bearer ${this.producer!.token}`,
                'content-type': 'application/json',
              },
              body: JSON.stringify({ events: group.map((s) => this.eventFor(s, runId)) }),
              signal: AbortSignal.timeout(30_000),
            },
          );
          await response.text();
          this.httpAnswers.push({ at: Date.now(), status: response.status });
          if (response.status === 202) {
            const at = Date.now();
            for (const s of group) this.tally.markAcked(s, at);
          } else this.countFailure(`http ${response.status}`);
        } catch (error) {
          this.httpAnswers.push({ at: Date.now(), status: 0 });
          this.countFailure(`http: ${(error as Error).message.slice(0, 80)}`);
        }
      }),
    );
  }

  private countFailure(reason: string): void {
    this.publishFailures.set(reason, (this.publishFailures.get(reason) ?? 0) + 1);
  }

  /** Publish requests refused or failed, in all. */
  get failedPublishes(): number {
    return [...this.publishFailures.values()].reduce((a, b) => a + b, 0);
  }

  /** Polls GET /health/ready of dispatcher `index` every `everyMs` into `readiness`. */
  watchReadiness(index = 0, everyMs = 1_000): void {
    const poll = async () => {
      const d = this.dispatchers[index];
      if (!d) return;
      try {
        const response = await fetch(`${d.baseUrl}/health/ready`, { signal: AbortSignal.timeout(5_000) });
        const body = (await response.json()) as { error?: Record<string, unknown> };
        this.readiness.push({
          at: Date.now(),
          status: response.status,
          failing: Object.keys(body.error ?? {}),
        });
      } catch {
        this.readiness.push({ at: Date.now(), status: 0, failing: ['unreachable'] });
      }
    };
    this.readinessTimer = setInterval(() => void poll(), everyMs);
  }

  stopWatchingReadiness(): void {
    clearInterval(this.readinessTimer);
  }

  /**
   * Waits until every acknowledged pair has arrived, or nothing new arrived for `stallMs`, or the
   * deadline passed; logs progress every few seconds.
   */
  async waitForDelivery(label: string, { deadlineMs = 600_000, stallMs = 150_000 } = {}): Promise<boolean> {
    const deadline = Date.now() + deadlineMs;
    let lastCount = -1;
    let lastMoveAt = Date.now();
    let lastLogAt = 0;
    for (;;) {
      const { delivered, expected } = this.tally;
      if (delivered >= expected) return true;
      const now = Date.now();
      if (delivered !== lastCount) {
        lastCount = delivered;
        lastMoveAt = now;
      }
      if (now - lastLogAt > 5_000) {
        lastLogAt = now;
        log(
          `${label}: ${fmt(delivered)}/${fmt(expected)} pairs delivered, ${fmt(this.tally.duplicates)} duplicates`,
        );
      }
      if (now > deadline || now - lastMoveAt > stallMs) {
        log(
          `${label}: gave up waiting at ${fmt(delivered)}/${fmt(expected)} (${now > deadline ? 'deadline' : 'stalled'})`,
        );
        return false;
      }
      await sleep(250);
    }
  }

  private async startTail(): Promise<void> {
    const topic = this.names.topics.deliveries;
    const consumer = this.kafka.consumer({
      groupId: uniqueName('chaos-tail'),
      maxWaitTimeInMs: 250,
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const kindAttempt = /"kind":"attempt"/;
    const attemptId = /"attempt_id":"([^"]+)"/;
    const deliveryId = /"delivery_id":"([^"]+)"/;
    const delivered = /"outcome":"delivered"/;
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const text = message.value?.toString() ?? '';
          if (kindAttempt.test(text)) {
            const a = attemptId.exec(text)?.[1];
            const d = deliveryId.exec(text)?.[1];
            if (a) this.topicAttempts.add(a);
            if (d) this.topicDeliveries.add(d);
            if (d && delivered.test(text)) this.topicDelivered.add(d);
          }
          this.tailPositions.set(batch.partition, message.offset);
        }
      },
    });
    this.tail = consumer;
  }

  /** True once the tail has read every delivery-topic record written so far. */
  private async tailCaughtUp(): Promise<boolean> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(this.names.topics.deliveries);
      return ends.every((p) => {
        const high = BigInt(p.high);
        if (high === 0n) return true;
        const seen = this.tailPositions.get(p.partition);
        return seen !== undefined && BigInt(seen) + 1n >= high;
      });
    } finally {
      await admin.disconnect();
    }
  }

  /** Postgres's projection and retry store, counted. */
  async postgresCounts(): Promise<{ attempts: number; deliveries: number; retries: number }> {
    const client = new Client({
      connectionString: this.options.infra.databaseUrl,
      connectionTimeoutMillis: 5_000,
    });
    await client.connect();
    try {
      const s = this.names.schema;
      const { rows } = await client.query<{ attempts: number; deliveries: number; retries: number }>(
        `SELECT (SELECT count(*) FROM "${s}".delivery_attempts)::int AS attempts,
                (SELECT count(*) FROM "${s}".deliveries)::int AS deliveries,
                (SELECT count(*) FROM "${s}".scheduled_retries)::int AS retries`,
      );
      return rows[0];
    } finally {
      await client.end();
    }
  }

  /**
   * Waits (up to `timeoutMs`) until Postgres holds exactly the attempts and deliveries the delivery
   * topic carries, and reports both sides. Postgres rows come only from that topic, so equal counts
   * of distinct ids mean equal sets.
   */
  async compareProjection(timeoutMs = 120_000): Promise<ProjectionComparison> {
    const deadline = Date.now() + timeoutMs;
    let last: ProjectionComparison | undefined;
    const started = Date.now();
    for (;;) {
      try {
        const caughtUp = await this.tailCaughtUp();
        const pg = await this.postgresCounts();
        last = {
          topicAttempts: this.topicAttempts.size,
          topicDeliveries: this.topicDeliveries.size,
          topicDelivered: this.topicDelivered.size,
          pgAttempts: pg.attempts,
          pgDeliveries: pg.deliveries,
          retriesLeft: pg.retries,
          equal:
            caughtUp &&
            pg.attempts === this.topicAttempts.size &&
            pg.deliveries === this.topicDeliveries.size,
          waitedMs: Date.now() - started,
        };
        if (last.equal) return { ...last, counters: await this.counters() };
      } catch (error) {
        log(`projection check failed: ${(error as Error).message}`);
      }
      if (Date.now() > deadline) {
        const counters = await this.counters();
        return (
          (last && { ...last, counters }) ?? {
            topicAttempts: this.topicAttempts.size,
            topicDeliveries: this.topicDeliveries.size,
            topicDelivered: this.topicDelivered.size,
            pgAttempts: -1,
            pgDeliveries: -1,
            retriesLeft: -1,
            equal: false,
            waitedMs: Date.now() - started,
            counters,
          }
        );
      }
      await sleep(1_000);
    }
  }

  /** Stops everything this system started and removes its topics and schema (on this infra). */
  async cleanUp({ dropData = true } = {}): Promise<void> {
    this.stopWatchingReadiness();
    await Promise.all(this.dispatchers.map((_, i) => this.killDispatcher(i, 'SIGKILL')));
    if (this.producer && this.producer.exitCode === null) {
      const exited = once(this.producer, 'exit');
      this.producer.kill('SIGKILL');
      await exited;
    }
    await this.tail?.disconnect().catch(() => undefined);
    await this.publisher?.disconnect().catch(() => undefined);
    await this.receiverProxy?.close();
    await this.receiver?.close();
    if (!dropData) return;
    const client = new Client({
      connectionString: this.options.infra.databaseUrl,
      connectionTimeoutMillis: 5_000,
    });
    try {
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${this.names.schema}" CASCADE`);
    } catch {
      // A disposable Postgres is deleted anyway.
    } finally {
      await client.end().catch(() => undefined);
    }
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const mine = new Set(allTopics(this.names.topics));
      const existing = (await admin.listTopics()).filter((t) => mine.has(t));
      if (existing.length > 0) await admin.deleteTopics({ topics: existing });
    } catch {
      // Leftover topics only cost disk; their names are never reused.
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /**
   * The running dispatchers' attempt outcomes and deferrals, summed by label from /metrics (a
   * restarted process starts its counters afresh: these are the live processes' figures).
   */
  async counters(): Promise<{ attempts: string; deferred: string }> {
    const sums = { attempts: new Map<string, number>(), deferred: new Map<string, number>() };
    for (const d of this.dispatchers.filter((x) => x !== undefined)) {
      const text = await fetch(`${d.baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })
        .then((r) => r.text())
        .catch(() => '');
      for (const line of text.split('\n')) {
        const [family, label] = line.startsWith('vowchat_delivery_attempts_total{')
          ? (['attempts', 'outcome'] as const)
          : line.startsWith('vowchat_deliveries_deferred_total{')
            ? (['deferred', 'reason'] as const)
            : [null, null];
        if (!family) continue;
        const key = new RegExp(`${label}="([^"]*)"`).exec(line)?.[1] ?? '?';
        sums[family].set(key, (sums[family].get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
      }
    }
    const text = (m: Map<string, number>) => [...m].map(([k, v]) => `${k} ${fmt(v)}`).join(', ') || 'none';
    return { attempts: text(sums.attempts), deferred: text(sums.deferred) };
  }

  /** Reads a dispatcher's process figures from /metrics. */
  async processFigures(index = 0): Promise<ProcessFigures | null> {
    const d = this.dispatchers[index];
    if (!d) return null;
    try {
      const text = await (await fetch(`${d.baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
      const value = (name: string, label?: string) => {
        const line = text
          .split('\n')
          .find(
            (l) =>
              l.startsWith(name + (label ? `{${label}` : ' ')) ||
              (label === undefined && l.startsWith(`${name}{`)),
          );
        return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : null;
      };
      return {
        at: Date.now(),
        rssBytes: value('process_resident_memory_bytes'),
        heapUsedBytes: value('nodejs_heap_size_used_bytes'),
        activeHandles: value('nodejs_active_handles_total'),
        activeResources: value('nodejs_active_resources_total'),
        timers: value('nodejs_active_resources', 'type="Timeout"'),
      };
    } catch {
      return null;
    }
  }

  /** The dispatcher log file every process of this scenario appends to. */
  get log(): string {
    return this.logFile;
  }

  /** The API token of the dispatchers. */
  static readonly apiToken = API_TOKEN;
}

export interface ProjectionComparison {
  topicAttempts: number;
  topicDeliveries: number;
  /** Deliveries with a `delivered` attempt on the topic. */
  topicDelivered: number;
  pgAttempts: number;
  pgDeliveries: number;
  retriesLeft: number;
  equal: boolean;
  waitedMs: number;
  /** The live dispatchers' attempts by outcome and deferrals by reason (from /metrics). */
  counters?: { attempts: string; deferred: string };
}

export interface ProcessFigures {
  at: number;
  rssBytes: number | null;
  heapUsedBytes: number | null;
  activeHandles: number | null;
  activeResources: number | null;
  timers: number | null;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function fmt(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return 'n/a';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
