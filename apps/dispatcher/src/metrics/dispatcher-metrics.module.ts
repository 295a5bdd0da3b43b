// The dispatcher's metrics object, one per application (its own prom-client registry).
import { Module } from '@nestjs/common';
import type { DispatcherConfig } from '../config';
import { DISPATCHER_CONFIG } from '../tokens';
import { DispatcherMetrics } from './dispatcher-metrics';

@Module({
  providers: [
    {
      provide: DispatcherMetrics,
      useFactory: (config: DispatcherConfig) => new DispatcherMetrics({ instruments: config.metricsEnabled }),
      inject: [DISPATCHER_CONFIG],
    },
  ],
  exports: [DispatcherMetrics],
})
export class DispatcherMetricsModule {}
