// Probes for orchestrators and SREs, unauthenticated on purpose. GET /health/live: the process
// serves (restart it when this fails). GET /health/ready: it can do its work (take it out of
// rotation, page someone, but do not restart it): 503 naming the failed checks otherwise
// (terminus's body). GET /health: liveness with a few live figures, as before (scripts and tests
// wait on it at start-up, so it must not fail for a lagging projector).
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { healthAnswer } from '@vowchat/platform';
import { DeliveryRuntime } from '../delivery/delivery.module';
import { WebhookRegistry } from '../registry/webhook.registry';
import { DispatcherReadiness } from './dispatcher-readiness';

@Controller('health')
export class HealthController {
  constructor(
    @Inject(DeliveryRuntime) private readonly runtime: DeliveryRuntime,
    @Inject(WebhookRegistry) private readonly registry: WebhookRegistry,
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(DispatcherReadiness) private readonly readiness: DispatcherReadiness,
  ) {}

  @Get()
  summary() {
    return {
      status: 'ok',
      webhooks: this.registry.size,
      in_flight_records: this.runtime.server.inFlight,
      paused_partitions: this.runtime.server.pausedPartitions,
      jobs_waiting: this.runtime.pipeline.queues.waiting,
      breakers_open: this.runtime.breakers.openCount,
    };
  }

  @Get('live')
  live(@Res({ passthrough: true }) response: Response) {
    return healthAnswer(
      () =>
        this.health.check([
          () => this.indicators.check('process').up({ uptime_seconds: Math.round(process.uptime()) }),
        ]),
      response,
    );
  }

  @Get('ready')
  ready(@Res({ passthrough: true }) response: Response) {
    return healthAnswer(() => this.health.check(this.readiness.checks()), response);
  }
}
