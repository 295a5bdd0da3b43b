// Wires the delivery path: consumer edge → pipeline → endpoint lanes → executor (breaker, HTTP,
// classification) → delivery topic + retry store. Construction is plain code; Nest only provides
// the adapters and runs the ordered start-up and shutdown in DeliveryRuntime.
import {
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { eventTopics } from '@vowchat/events';
import type { JsonLogger } from '@vowchat/platform';
import { EndpointBreakers } from '../circuit/endpoint-breakers';
import type { DispatcherConfig } from '../config';
import { EventStreamServer } from '../consumer/event-stream.server';
import { DeadLetters } from '../dead-letter/dead-letters';
import { BatchingProducer } from '../kafka/batching-producer';
import { Metrics } from '../metrics/metrics';
import { DeliveryRecorder } from '../outcomes/delivery-recorder';
import { OutcomeProjector } from '../outcomes/outcome-projector';
import { RegistryModule } from '../registry/registry.module';
import { WebhookRegistry } from '../registry/webhook.registry';
import { RetryPoller } from '../retry/retry-poller';
import { RetryStore } from '../retry/retry-store';
import { CLOCK, DISPATCHER_CONFIG, KAFKA, LOGGER, type Clock } from '../tokens';
import { WebhooksApiModule } from '../webhooks-api/webhooks-api.module';
import { WebhooksService } from '../webhooks-api/webhooks.service';
import { DeliveryExecutor } from './delivery-executor';
import { DeliveryPipeline } from './delivery-pipeline';
import { WebhookSender } from './webhook-sender';

@Injectable()
export class DeliveryRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  readonly producer: BatchingProducer;
  readonly recorder: DeliveryRecorder;
  readonly breakers: EndpointBreakers;
  readonly sender: WebhookSender;
  readonly pipeline: DeliveryPipeline;
  readonly poller: RetryPoller;
  readonly server: EventStreamServer;
  readonly projector: OutcomeProjector;
  private readonly log: JsonLogger;
  private stopped = false;

  constructor(
    @Inject(DISPATCHER_CONFIG) config: DispatcherConfig,
    @Inject(KAFKA) kafka: Kafka,
    @Inject(LOGGER) logger: JsonLogger,
    @Inject(CLOCK) clock: Clock,
    @Inject(DataSource) dataSource: DataSource,
    @Inject(RetryStore) readonly retries: RetryStore,
    @Inject(Metrics) readonly metrics: Metrics,
    @Inject(WebhookRegistry) private readonly registry: WebhookRegistry,
    @Inject(WebhooksService) webhooks: WebhooksService,
  ) {
    this.log = logger.child({ component: 'delivery' });
    const { delivery, topics } = config;
    const count = countersFor(metrics);
    this.producer = new BatchingProducer(kafka);
    this.recorder = new DeliveryRecorder(this.producer, topics.deliveries);
    this.breakers = new EndpointBreakers(config.breaker, (change) => {
      const at = clock.now().toISOString();
      this.log.info('circuit breaker state changed', {
        webhook_id: change.webhookId,
        account_id: change.accountId,
        state: change.state,
      });
      count('breaker_transitions', { state: change.state });
      void this.recorder
        .record({
          kind: 'breaker_state',
          webhook_id: change.webhookId,
          account_id: change.accountId,
          state: change.state,
          at,
        })
        .catch((error: Error) =>
          this.log.warnWith('breaker state record not published', { error: error.message }),
        );
    });
    this.sender = new WebhookSender({
      timeoutMs: delivery.timeoutMs,
      responseBodyCap: delivery.responseBodyCap,
      allowInsecure: config.allowInsecureUrls,
    });
    const executor = new DeliveryExecutor({
      registry,
      sender: this.sender,
      breakers: this.breakers,
      retries,
      recorder: this.recorder,
      disableGone: async (webhookId, reason) => {
        this.log.warnWith('disabling webhook', { webhook_id: webhookId, reason });
        await webhooks.setEnabled(webhookId, false, reason);
      },
      clock,
      random: Math.random,
      settings: delivery,
      count,
      log: this.log,
    });
    this.pipeline = new DeliveryPipeline({
      registry,
      executor,
      deadLetters: new DeadLetters(this.producer, topics.deadLetter, this.log),
      recorder: this.recorder,
      retries,
      clock,
      settings: { ...delivery, overflowDelayMs: 1_000 },
      count,
    });
    this.poller = new RetryPoller({
      store: retries,
      submit: (job, durable) => this.pipeline.submit(job, durable),
      queued: () => this.pipeline.queues.waiting,
      clock,
      log: this.log,
      settings: {
        pollMs: delivery.retryPollMs,
        batch: 500,
        leaseMs: Math.max(3 * delivery.timeoutMs, 15_000),
        maxQueued: delivery.partitionBufferCap * 4,
      },
    });
    this.server = new EventStreamServer(
      kafka,
      {
        groupId: config.kafka.groupId,
        topics: eventTopics(topics),
        partitionBufferCap: delivery.partitionBufferCap,
        sessionTimeoutMs: config.kafka.sessionTimeoutMs,
      },
      this.pipeline,
      logger.child({ component: 'consumer' }),
    );
    this.projector = new OutcomeProjector({
      kafka,
      dataSource,
      topic: topics.deliveries,
      groupId: `${config.kafka.groupId}-projector`,
      rawRetentionMs: config.healthRetention.rawDays * 86_400_000,
      sessionTimeoutMs: config.kafka.sessionTimeoutMs,
      log: logger.child({ component: 'projector' }),
    });
    metrics.gauge(
      'vowchat_delivery_in_flight_records',
      'Consumed records whose deliveries are not yet durable',
      () => this.server.inFlight,
    );
    metrics.gauge(
      'vowchat_delivery_paused_partitions',
      'Partitions paused for back-pressure',
      () => this.server.pausedPartitions,
    );
    metrics.gauge(
      'vowchat_delivery_jobs_waiting',
      'Delivery jobs waiting in endpoint lanes',
      () => this.pipeline.queues.waiting,
    );
    metrics.gauge('vowchat_delivery_jobs_active', 'Requests in flight', () => this.pipeline.queues.active);
    metrics.gauge(
      'vowchat_breakers_open',
      'Endpoint breakers open or half-open',
      () => this.breakers.openCount,
    );
    metrics.gauge(
      'vowchat_registry_webhooks',
      'Webhooks held in the in-memory registry',
      () => this.registry.size,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.producer.connect();
    await this.projector.start();
    await this.registry.whenLoaded();
    this.poller.start();
  }

  /** Ordered shutdown: stop taking work, let in-flight deliveries become durable, then close writers. */
  async onModuleDestroy(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.server.close();
    await this.poller.stop();
    // Let attempts in flight finish and become durable, but not for ever (a hanging endpoint).
    let giveUp: NodeJS.Timeout | undefined;
    await Promise.race([
      this.pipeline.queues.idle(),
      new Promise((resolve) => (giveUp = setTimeout(resolve, 10_000))),
    ]);
    clearTimeout(giveUp);
    await this.retries.close();
    await this.producer.disconnect();
    await this.projector.stop();
    await this.sender.close();
    this.breakers.close();
  }
}

/** Maps the delivery path's counting calls onto named Prometheus counters. */
function countersFor(metrics: Metrics): (event: string, labels?: Record<string, string>) => void {
  const counters: Record<string, (labels?: Record<string, string>) => void> = {
    events: metrics.counter('vowchat_events_consumed_total', 'Valid events consumed, by type'),
    attempts: metrics.counter('vowchat_delivery_attempts_total', 'Delivery attempts, by outcome'),
    deferred: metrics.counter(
      'vowchat_deliveries_deferred_total',
      'Deliveries deferred without an attempt, by reason',
    ),
    skipped: metrics.counter(
      'vowchat_deliveries_skipped_total',
      'Deliveries dropped because their webhook is gone, by reason',
    ),
    dead_lettered: metrics.counter('vowchat_dead_letters_total', 'Records sent to the dead-letter topic'),
    breaker_transitions: metrics.counter(
      'vowchat_breaker_transitions_total',
      'Circuit breaker state changes, by new state',
    ),
  };
  return (event, labels) => counters[event]?.(labels);
}

@Module({
  imports: [RegistryModule, WebhooksApiModule],
  providers: [DeliveryRuntime, { provide: Metrics, useFactory: () => new Metrics() }],
  exports: [DeliveryRuntime, Metrics],
})
export class DeliveryModule {}
