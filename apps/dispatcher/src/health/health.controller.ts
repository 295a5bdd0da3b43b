// Liveness and metrics for SREs: GET /health (JSON) and GET /metrics (Prometheus text).
import { Controller, Get, Header, Inject } from '@nestjs/common';
import { DeliveryRuntime } from '../delivery/delivery.module';
import { Metrics } from '../metrics/metrics';
import { WebhookRegistry } from '../registry/webhook.registry';

@Controller()
export class HealthController {
  constructor(
    @Inject(DeliveryRuntime) private readonly runtime: DeliveryRuntime,
    @Inject(WebhookRegistry) private readonly registry: WebhookRegistry,
    @Inject(Metrics) private readonly metrics: Metrics,
  ) {}

  @Get('health')
  health() {
    return {
      status: 'ok',
      webhooks: this.registry.size,
      in_flight_records: this.runtime.server.inFlight,
      paused_partitions: this.runtime.server.pausedPartitions,
      jobs_waiting: this.runtime.pipeline.queues.waiting,
      breakers_open: this.runtime.breakers.openCount,
    };
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  render(): string {
    return this.metrics.render();
  }
}
