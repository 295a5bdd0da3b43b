// GET /metrics and the gauges: live state of the delivery path read at scrape time, plus readings
// that cost a round trip (the retry backlog in Postgres, the projector's lag in Kafka) taken at most
// every few seconds through CachedProbes. The probes are exported for the readiness checks.
import { Controller, Get, Header, Inject, Injectable, Module, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { EndpointBreakers } from '../circuit/endpoint-breakers';
import type { DispatcherConfig } from '../config';
import { EventStreamServer } from '../consumer/event-stream.server';
import { DeliveryPipeline } from '../delivery/delivery-pipeline';
import { DeliveryModule, projectorGroupId } from '../delivery/delivery.module';
import { KafkaOffsetsReader } from '../health/kafka-offsets.reader';
import { RegistryModule } from '../registry/registry.module';
import { WebhookRegistry } from '../registry/webhook.registry';
import { CLOCK, DISPATCHER_CONFIG, type Clock } from '../tokens';
import { CachedProbe } from './cached-probe';
import { registerDeliveryGauges } from './delivery-gauges';
import { DispatcherMetrics } from './dispatcher-metrics';
import { DispatcherMetricsModule } from './dispatcher-metrics.module';
import { readRetryBacklog, type RetryBacklog } from './retry-backlog';

/** How often at most a probe asks Postgres or Kafka, however often it is scraped or probed. */
export const PROBE_MAX_AGE_MS = 5_000;

/** The retry store's backlog (an indexed query on scheduled_retries). */
export class RetryBacklogProbe extends CachedProbe<RetryBacklog> {}

/** Delivery-topic records the outcome projector has not yet written to Postgres. */
export class ProjectorLagProbe extends CachedProbe<number> {}

@Injectable()
export class DeliveryGauges {
  constructor(
    @Inject(DispatcherMetrics) metrics: DispatcherMetrics,
    @Inject(EventStreamServer) consumer: EventStreamServer,
    @Inject(DeliveryPipeline) pipeline: DeliveryPipeline,
    @Inject(EndpointBreakers) breakers: EndpointBreakers,
    @Inject(WebhookRegistry) webhooks: WebhookRegistry,
    @Inject(RetryBacklogProbe) retryBacklog: RetryBacklogProbe,
    @Inject(ProjectorLagProbe) projectorLag: ProjectorLagProbe,
  ) {
    registerDeliveryGauges(metrics.registry, {
      consumer,
      queues: pipeline.queues,
      outcomes: pipeline,
      breakers,
      webhooks,
      retryBacklog,
      projectorLag,
    });
  }
}

@Controller()
export class MetricsController {
  constructor(@Inject(DispatcherMetrics) private readonly metrics: DispatcherMetrics) {}

  /** Prometheus exposition text (unauthenticated, like /health: scrapers carry no API token). */
  @Get('metrics')
  @Header('cache-control', 'no-store')
  async render(@Res({ passthrough: true }) response: Response): Promise<string> {
    response.type(this.metrics.contentType);
    return this.metrics.render();
  }
}

@Module({
  imports: [DispatcherMetricsModule, DeliveryModule, RegistryModule],
  controllers: [MetricsController],
  providers: [
    KafkaOffsetsReader,
    {
      provide: RetryBacklogProbe,
      useFactory: (dataSource: DataSource, clock: Clock) =>
        new RetryBacklogProbe(() => readRetryBacklog(dataSource, clock.now()), {
          maxAgeMs: PROBE_MAX_AGE_MS,
          timeoutMs: 2_000,
        }),
      inject: [DataSource, CLOCK],
    },
    {
      provide: ProjectorLagProbe,
      useFactory: (offsets: KafkaOffsetsReader, config: DispatcherConfig) =>
        new ProjectorLagProbe(
          async () => {
            const lag = await offsets.groupLag(projectorGroupId(config), [config.topics.deliveries]);
            return lag.reduce((sum, p) => sum + p.lagRecords, 0);
          },
          { maxAgeMs: PROBE_MAX_AGE_MS, timeoutMs: 3_500 },
        ),
      inject: [KafkaOffsetsReader, DISPATCHER_CONFIG],
    },
    DeliveryGauges,
  ],
  exports: [RetryBacklogProbe, ProjectorLagProbe],
})
export class MetricsModule {}
