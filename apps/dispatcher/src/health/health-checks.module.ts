// Liveness and readiness (terminus) for the dispatcher: GET /health, /health/live, /health/ready.
import { Module } from '@nestjs/common';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import type { DispatcherConfig } from '../config';
import { EventStreamServer } from '../consumer/event-stream.server';
import { DeliveryModule } from '../delivery/delivery.module';
import { MetricsModule, ProjectorLagProbe } from '../metrics/metrics.module';
import { RegistryModule } from '../registry/registry.module';
import { DISPATCHER_CONFIG } from '../tokens';
import { DispatcherReadiness } from './dispatcher-readiness';
import { HealthController } from './health.controller';

@Module({
  // No terminus logger: a failed probe answers 503 naming the check; logging each probe would
  // repeat that every few seconds for as long as the outage lasts.
  imports: [TerminusModule.forRoot({ logger: false }), DeliveryModule, RegistryModule, MetricsModule],
  controllers: [HealthController],
  providers: [
    {
      provide: DispatcherReadiness,
      useFactory: (
        indicators: HealthIndicatorService,
        consumer: EventStreamServer,
        database: DataSource,
        projectorLag: ProjectorLagProbe,
        config: DispatcherConfig,
      ) =>
        new DispatcherReadiness(
          indicators,
          { consumer, database, projectorLag },
          { projectorMaxLagRecords: config.readiness.projectorMaxLagRecords, databaseTimeoutMs: 2_000 },
        ),
      inject: [HealthIndicatorService, EventStreamServer, DataSource, ProjectorLagProbe, DISPATCHER_CONFIG],
    },
  ],
})
export class HealthChecksModule {}
