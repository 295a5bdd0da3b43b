// The dispatcher's metrics object, one per application (its own prom-client registry).
import { Module } from '@nestjs/common';
import { DispatcherMetrics } from './dispatcher-metrics';

@Module({
  providers: [{ provide: DispatcherMetrics, useFactory: () => new DispatcherMetrics() }],
  exports: [DispatcherMetrics],
})
export class DispatcherMetricsModule {}
