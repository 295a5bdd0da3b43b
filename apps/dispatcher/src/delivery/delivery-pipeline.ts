// From a consumed record to delivery jobs: decode it (or dead-letter it), find the account's
// webhooks subscribed to its type in the in-memory registry (no database query per event), and
// queue one job per webhook on that endpoint's lane. `done` fires when every job is durable.
// A lane waits for its endpoint's rate limit; a job that finds it full is deferred to the retry store.
// A job leaves its lane when its request is over and its attempt record is on the delivery topic;
// its retry-store write goes on outside the lane (the job counted in `pendingDurable` meanwhile), so
// a lane never waits on Postgres.
import { decodeEventRecord, type EventType } from '@vowchat/events';
import type { SampledLog } from '@vowchat/platform';
import type { RecordSink, TakenRecord } from '../consumer/event-stream.server';
import type { DeadLetters } from '../dead-letter/dead-letters';
import type { DeliveryRecorder } from '../outcomes/delivery-recorder';
import type { WebhookTarget } from '../registry/webhook-target';
import type { RetryStore } from '../retry/retry-store';
import type { DispatcherMetrics } from '../metrics/dispatcher-metrics';
import type { Clock } from '../tokens';
import { deferralRecord, deliveryIdOf, publishedAtOf, type DeliveryJob } from './delivery-job';
import type { DeliveryExecutor } from './delivery-executor';
import { EndpointQueues } from './endpoint-queues';
import type { EndpointRateLimits } from './throttle/endpoint-rate-limits';
import { writeDurably, writeEachDurably } from './until-durable';

/** The longest a job waits in its lane for the endpoint's rate limit; beyond it, it waits in the retry store. */
export const RATE_LIMIT_LANE_WAIT_MS = 5_000;

export interface QueuedJob {
  job: DeliveryJob;
  durable: () => void;
}

export interface DeliveryPipelineDeps {
  registry: { matching(accountId: number, type: EventType, now: Date): WebhookTarget[] };
  executor: Pick<DeliveryExecutor, 'attempt'>;
  deadLetters: Pick<DeadLetters, 'send'>;
  retries: Pick<RetryStore, 'schedule'>;
  /** Where deferrals are recorded (the delivery topic). */
  recorder: Pick<DeliveryRecorder, 'record'>;
  clock: Clock;
  settings: { endpointConcurrency: number; endpointQueueCap: number; overflowDelayMs: number };
  metrics: Pick<
    DispatcherMetrics,
    'eventsConsumed' | 'deadLetters' | 'deferrals' | 'rateLimited' | 'firstAttemptWait'
  >;
  /** Each endpoint's request rate (none: unlimited). */
  rateLimits?: Pick<EndpointRateLimits, 'take' | 'backlogMs'>;
  /** Where failed durable writes are logged (sampled). */
  log: SampledLog;
}

export class DeliveryPipeline implements RecordSink {
  readonly queues: EndpointQueues<QueuedJob>;
  private pendingJobs = 0;
  private pendingBytes = 0;
  private durableWaiters: (() => void)[] = [];

  constructor(private readonly deps: DeliveryPipelineDeps) {
    this.queues = new EndpointQueues<QueuedJob>({
      concurrency: deps.settings.endpointConcurrency,
      queueCap: deps.settings.endpointQueueCap,
      // UTF-16 length: close enough to the bytes held, and free to read.
      sizeOf: ({ job }) => job.body.length,
      admit: deps.rateLimits && ((webhookId) => deps.rateLimits!.take(webhookId)),
      onThrottled: (jobs) => deps.metrics.rateLimited.inc(jobs),
      run: async (queued) => {
        const { recorded, durable } = await deps.executor.attempt(queued.job);
        this.untilDurable(queued, durable);
        // The slot waits for the attempt record on the delivery topic, not for the retry store:
        // attempts keep the pace of the topic's writer (what is attempted ahead of it is redone
        // after a crash or a rebalance), and no lane waits on Postgres.
        await recorded;
      },
    });
  }

  /** Jobs out of their lanes whose outcome is not yet durable (they still hold their bodies). */
  get pendingDurable(): number {
    return this.pendingJobs;
  }

  /** Body bytes of the jobs in `pendingDurable` (same measure as `queues.waitingBytes`). */
  get pendingDurableBytes(): number {
    return this.pendingBytes;
  }

  /** Resolves when no job is waiting, running, or waiting for its outcome to be durable. */
  async idle(): Promise<void> {
    for (;;) {
      await this.queues.idle();
      if (this.pendingJobs === 0) return;
      await new Promise<void>((resolve) => this.durableWaiters.push(resolve));
    }
  }

  accept(record: TakenRecord, done: () => void): void {
    const decoded = decodeEventRecord(record);
    const now = this.deps.clock.now();
    if (!decoded.ok) {
      void this.deadLetter(record, decoded.reason, now).then(done);
      return;
    }
    const targets = this.deps.registry.matching(decoded.event.account.id, decoded.type, now);
    this.deps.metrics.eventsConsumed.inc({ event_type: decoded.type });
    if (targets.length === 0) return done();
    const publishedAt = publishedAtOf(record.timestamp);
    const routedAt = now.toISOString();
    // The platform's own wait, publish to routing, once per (event, webhook) as each becomes a job.
    if (publishedAt !== null) {
      const waitSeconds = Math.max(0, now.getTime() - Date.parse(publishedAt)) / 1000;
      for (let i = 0; i < targets.length; i++) this.deps.metrics.firstAttemptWait.observe(waitSeconds);
    }
    let remaining = targets.length;
    const oneDurable = () => {
      if (--remaining === 0) done();
    };
    for (const target of targets) {
      this.submit(
        {
          deliveryId: deliveryIdOf(decoded.eventId, target.id),
          eventId: decoded.eventId,
          eventType: decoded.type,
          accountId: decoded.event.account.id,
          webhookId: target.id,
          body: decoded.body,
          attempt: 1,
          source: 'stream',
          publishedAt,
          routedAt,
        },
        oneDurable,
      );
    }
  }

  /**
   * Queues a job on its endpoint's lane; when the lane is full the job is deferred to the retry
   * store. A lane waiting for its rate limit takes a job only while its backlog goes out within
   * RATE_LIMIT_LANE_WAIT_MS at this instance's share: a longer wait would hold the partition's commit
   * (and a retry's lease) for it. Beyond that, or when it is full, the job is deferred as
   * `rate_limited`, due back when the lane's backlog has gone out (or sooner on another instance).
   */
  submit(job: DeliveryJob, durable: () => void): void {
    const { rateLimits, settings } = this.deps;
    const throttled = rateLimits !== undefined && this.queues.throttled(job.webhookId);
    const waitTooLong =
      throttled &&
      rateLimits.backlogMs(job.webhookId, this.queues.depth(job.webhookId) + 1, 0, Infinity) >
        RATE_LIMIT_LANE_WAIT_MS;
    if (!waitTooLong && this.queues.offer(job.webhookId, { job, durable })) return;
    const reason = throttled ? 'rate_limited' : 'endpoint_queue_full';
    this.deps.metrics.deferrals.inc({ reason });
    const now = this.deps.clock.now();
    const delayMs =
      reason === 'rate_limited'
        ? rateLimits!.backlogMs(
            job.webhookId,
            this.queues.depth(job.webhookId),
            settings.overflowDelayMs,
            300_000,
          )
        : settings.overflowDelayMs;
    const dueAt = new Date(now.getTime() + delayMs);
    const deferral = deferralRecord(job, reason, now);
    const written = writeEachDurably(
      [
        () => this.deps.retries.schedule({ ...job, source: 'retry' }, dueAt),
        () => this.deps.recorder.record(deferral),
      ],
      { log: this.deps.log, what: 'deferral', fields: { delivery_id: job.deliveryId } },
    );
    this.untilDurable({ job, durable }, written);
  }

  /**
   * Holds `job` (counted) until `written` settles, then reports it durable. Counted from the moment its
   * lane lets go of it, so the retry poller's room never misses a job held in memory.
   */
  private untilDurable({ job, durable }: QueuedJob, written: Promise<unknown>): void {
    const bytes = job.body.length;
    this.pendingJobs++;
    this.pendingBytes += bytes;
    void written.then(() => {
      this.pendingJobs--;
      this.pendingBytes -= bytes;
      durable();
      if (this.pendingJobs === 0) this.durableWaiters.splice(0).forEach((wake) => wake());
    });
  }

  /** Dead-letters a record; counted once written. A letter refused even bare is logged, and the stream goes on. */
  private async deadLetter(record: TakenRecord, reason: string, now: Date): Promise<void> {
    const written = await writeDurably(() => this.deps.deadLetters.send(record, reason, now), {
      log: this.deps.log,
      what: 'dead_letter',
      fields: { origin: { topic: record.topic, partition: record.partition, offset: record.offset } },
    });
    if (written) this.deps.metrics.deadLetters.inc();
  }
}
