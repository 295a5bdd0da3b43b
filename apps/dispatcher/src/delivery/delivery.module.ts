// Wires the delivery path: consumer edge → pipeline → endpoint lanes → executor (breaker, HTTP,
// classification) → delivery topic + retry store. Each component is its own provider, built by a
// small factory from exactly what it uses; DeliveryRuntime only runs the ordered start-up and
// shutdown. Metrics come typed from DispatcherMetricsModule; gauges are registered by MetricsModule.
import {
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type Provider,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { eventTopics } from '@vowchat/events';
import { SampledLog, type JsonLogger } from '@vowchat/platform';
import { EndpointBreakers } from '../circuit/endpoint-breakers';
import type { DispatcherConfig } from '../config';
import { EventStreamServer } from '../consumer/event-stream.server';
import { LifecycleProjection } from '../lifecycle/lifecycle-projection';
import { LifecycleModule } from '../lifecycle/lifecycle.module';
import { DeadLetters } from '../dead-letter/dead-letters';
import { BatchingProducer } from '../kafka/batching-producer';
import { DispatcherMetrics } from '../metrics/dispatcher-metrics';
import { DispatcherMetricsModule } from '../metrics/dispatcher-metrics.module';
import { DeliveryRecorder } from '../outcomes/delivery-recorder';
import { OutcomeProjector } from '../outcomes/outcome-projector';
import { RegistryModule } from '../registry/registry.module';
import { WebhookRegistry } from '../registry/webhook.registry';
import { RetryPoller } from '../retry/retry-poller';
import { RetryStore } from '../retry/retry-store';
import { CLOCK, DISPATCHER_CONFIG, KAFKA, LOGGER, type Clock } from '../tokens';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { WebhooksService } from '../webhooks/webhooks.service';
import { BreakerChanges } from './breaker-changes';
import { DeliveryExecutor } from './delivery-executor';
import { DeliveryPipeline } from './delivery-pipeline';
import { EndpointRateLimits } from './throttle/endpoint-rate-limits';
import { InstanceCount } from './throttle/instance-count';
import { WebhookSender } from './webhook-sender';

/** The delivery path's logger (component: delivery). */
export const DELIVERY_LOG = Symbol('DELIVERY_LOG');

/** The consumer group of the outcome projector: the dispatcher's group with a suffix. */
export function projectorGroupId(config: DispatcherConfig): string {
  return `${config.kafka.groupId}-projector`;
}

const providers: Provider[] = [
  {
    provide: DELIVERY_LOG,
    useFactory: (logger: JsonLogger) => logger.child({ component: 'delivery' }),
    inject: [LOGGER],
  },
  {
    provide: SampledLog,
    // Warnings that repeat per record (dead letters, failed writes) are counted, not printed each time.
    useFactory: (log: JsonLogger) => new SampledLog(log),
    inject: [DELIVERY_LOG],
  },
  {
    provide: BatchingProducer,
    useFactory: (config: DispatcherConfig, kafka: Kafka, log: JsonLogger) =>
      new BatchingProducer(kafka, { topics: [config.topics.deliveries, config.topics.deadLetter], log }),
    inject: [DISPATCHER_CONFIG, KAFKA, DELIVERY_LOG],
  },
  {
    provide: DeliveryRecorder,
    useFactory: (config: DispatcherConfig, producer: BatchingProducer) =>
      new DeliveryRecorder(producer, config.topics.deliveries),
    inject: [DISPATCHER_CONFIG, BatchingProducer],
  },
  {
    provide: DeadLetters,
    useFactory: (config: DispatcherConfig, producer: BatchingProducer, sampled: SampledLog) =>
      new DeadLetters(producer, config.topics.deadLetter, sampled),
    inject: [DISPATCHER_CONFIG, BatchingProducer, SampledLog],
  },
  {
    provide: BreakerChanges,
    useFactory: (recorder: DeliveryRecorder, metrics: DispatcherMetrics, clock: Clock, log: JsonLogger) =>
      new BreakerChanges({ recorder, metrics, clock, log }),
    inject: [DeliveryRecorder, DispatcherMetrics, CLOCK, DELIVERY_LOG],
  },
  {
    provide: EndpointBreakers,
    useFactory: (config: DispatcherConfig, changes: BreakerChanges) =>
      new EndpointBreakers(config.breaker, (change) => changes.onChange(change)),
    inject: [DISPATCHER_CONFIG, BreakerChanges],
  },
  {
    provide: WebhookSender,
    useFactory: ({ delivery, allowInsecureUrls }: DispatcherConfig) =>
      new WebhookSender({
        timeoutMs: delivery.timeoutMs,
        responseBodyCap: delivery.responseBodyCap,
        allowInsecure: allowInsecureUrls,
      }),
    inject: [DISPATCHER_CONFIG],
  },
  {
    provide: DeliveryExecutor,
    useFactory: (
      config: DispatcherConfig,
      registry: WebhookRegistry,
      sender: WebhookSender,
      breakers: EndpointBreakers,
      retries: RetryStore,
      recorder: DeliveryRecorder,
      webhooks: WebhooksService,
      metrics: DispatcherMetrics,
      clock: Clock,
      log: JsonLogger,
      sampled: SampledLog,
    ) =>
      new DeliveryExecutor({
        registry,
        sender,
        breakers,
        retries,
        recorder,
        disableGone: async (webhookId, reason) => {
          log.warnWith('disabling webhook', { webhook_id: webhookId, reason });
          await webhooks.setEnabled(webhookId, false, reason);
        },
        clock,
        random: Math.random,
        settings: config.delivery,
        metrics,
        log,
        durableLog: sampled,
      }),
    inject: [
      DISPATCHER_CONFIG,
      WebhookRegistry,
      WebhookSender,
      EndpointBreakers,
      RetryStore,
      DeliveryRecorder,
      WebhooksService,
      DispatcherMetrics,
      CLOCK,
      DELIVERY_LOG,
      SampledLog,
    ],
  },
  { provide: InstanceCount, useFactory: () => new InstanceCount() },
  {
    provide: EndpointRateLimits,
    // Each webhook's rate (or the default), this instance's share of it (docs/decisions/0013-rate-limits.md).
    useFactory: (
      config: DispatcherConfig,
      registry: WebhookRegistry,
      instances: InstanceCount,
      clock: Clock,
    ) =>
      new EndpointRateLimits({
        rateOf: (webhookId) => registry.get(webhookId)?.rateLimitPerSecond,
        defaultPerSecond: config.delivery.endpointRateLimitPerSecond,
        instances: () => instances.value,
        nowMs: () => clock.now().getTime(),
      }),
    inject: [DISPATCHER_CONFIG, WebhookRegistry, InstanceCount, CLOCK],
  },
  {
    provide: DeliveryPipeline,
    useFactory: (
      config: DispatcherConfig,
      registry: WebhookRegistry,
      executor: DeliveryExecutor,
      deadLetters: DeadLetters,
      recorder: DeliveryRecorder,
      retries: RetryStore,
      metrics: DispatcherMetrics,
      clock: Clock,
      sampled: SampledLog,
      rateLimits: EndpointRateLimits,
    ) =>
      new DeliveryPipeline({
        log: sampled,
        rateLimits,
        registry,
        executor,
        deadLetters,
        recorder,
        retries,
        clock,
        settings: { ...config.delivery, overflowDelayMs: 1_000 },
        metrics,
      }),
    inject: [
      DISPATCHER_CONFIG,
      WebhookRegistry,
      DeliveryExecutor,
      DeadLetters,
      DeliveryRecorder,
      RetryStore,
      DispatcherMetrics,
      CLOCK,
      SampledLog,
      EndpointRateLimits,
    ],
  },
  {
    provide: RetryPoller,
    useFactory: (
      { delivery }: DispatcherConfig,
      retries: RetryStore,
      pipeline: DeliveryPipeline,
      clock: Clock,
      log: JsonLogger,
    ) =>
      new RetryPoller({
        store: retries,
        submit: (job, durable) => pipeline.submit(job, durable),
        // Jobs out of their lanes still hold their bodies until their outcome is durable.
        queued: () => pipeline.queues.waiting + pipeline.pendingDurable,
        queuedBytes: () => pipeline.queues.waitingBytes + pipeline.pendingDurableBytes,
        clock,
        log,
        settings: {
          pollMs: delivery.retryPollMs,
          batch: 500,
          leaseMs: Math.max(3 * delivery.timeoutMs, 15_000),
          maxQueued: delivery.partitionBufferCap * 4,
          // Retries brought back from the store share the heap with fresh events: half the budget.
          maxQueuedBytes: delivery.bufferBytesCap / 2,
        },
      }),
    inject: [DISPATCHER_CONFIG, RetryStore, DeliveryPipeline, CLOCK, DELIVERY_LOG],
  },
  {
    provide: EventStreamServer,
    useFactory: (
      config: DispatcherConfig,
      kafka: Kafka,
      pipeline: DeliveryPipeline,
      logger: JsonLogger,
      instances: InstanceCount,
    ) =>
      new EventStreamServer(
        kafka,
        {
          groupId: config.kafka.groupId,
          topics: eventTopics(config.topics),
          partitionBufferCap: config.delivery.partitionBufferCap,
          bufferBytesCap: config.delivery.bufferBytesCap,
          stallThresholdMs: config.delivery.stallThresholdMs,
          sessionTimeoutMs: config.kafka.sessionTimeoutMs,
          onGroupMembers: (count) => instances.update(count),
        },
        pipeline,
        logger.child({ component: 'consumer' }),
      ),
    inject: [DISPATCHER_CONFIG, KAFKA, DeliveryPipeline, LOGGER, InstanceCount],
  },
  {
    provide: OutcomeProjector,
    useFactory: (
      config: DispatcherConfig,
      kafka: Kafka,
      dataSource: DataSource,
      logger: JsonLogger,
      lifecycle: LifecycleProjection,
    ) =>
      new OutcomeProjector({
        kafka,
        dataSource,
        topic: config.topics.deliveries,
        groupId: projectorGroupId(config),
        sessionTimeoutMs: config.kafka.sessionTimeoutMs,
        rawRetentionMs: config.healthRetention.rawDays * 86_400_000,
        rollups: config.healthRollupsEnabled,
        log: logger.child({ component: 'projector' }),
        observer: lifecycle,
      }),
    inject: [DISPATCHER_CONFIG, KAFKA, DataSource, LOGGER, LifecycleProjection],
  },
];

/** The ordered start-up and shutdown of the delivery path (and its components, for callers that need one). */
@Injectable()
export class DeliveryRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  private stopped = false;

  constructor(
    @Inject(BatchingProducer) readonly producer: BatchingProducer,
    @Inject(DeliveryRecorder) readonly recorder: DeliveryRecorder,
    @Inject(EndpointBreakers) readonly breakers: EndpointBreakers,
    @Inject(WebhookSender) readonly sender: WebhookSender,
    @Inject(DeliveryPipeline) readonly pipeline: DeliveryPipeline,
    @Inject(RetryPoller) readonly poller: RetryPoller,
    @Inject(EventStreamServer) readonly server: EventStreamServer,
    @Inject(OutcomeProjector) readonly projector: OutcomeProjector,
    @Inject(RetryStore) readonly retries: RetryStore,
    @Inject(WebhookRegistry) private readonly registry: WebhookRegistry,
  ) {}

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
    await this.poller.stopLeasing();
    // Let attempts in flight finish and their outcomes become durable (they are written outside the
    // lanes), but not for ever (a hanging endpoint, a store away); their leases are renewed meanwhile.
    let giveUp: NodeJS.Timeout | undefined;
    await Promise.race([
      this.pipeline.idle(),
      new Promise((resolve) => (giveUp = setTimeout(resolve, 10_000))),
    ]);
    clearTimeout(giveUp);
    await this.poller.stop();
    await this.retries.close();
    await this.producer.disconnect();
    await this.projector.stop();
    await this.sender.close();
    this.breakers.close();
  }
}

@Module({
  imports: [RegistryModule, WebhooksModule, LifecycleModule, DispatcherMetricsModule],
  providers: [...providers, DeliveryRuntime],
  exports: [
    DeliveryRuntime,
    EventStreamServer,
    DeliveryPipeline,
    EndpointBreakers,
    OutcomeProjector,
    DeliveryRecorder,
    DispatcherMetricsModule,
  ],
})
export class DeliveryModule {}
