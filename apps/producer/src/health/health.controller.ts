// Probes for orchestrators and the demo script, unauthenticated on purpose. GET /health/live: the
// process serves. GET /health/ready: Kafka answers, so events can be accepted (503 naming the
// failed check otherwise, terminus's body). GET /health: liveness, as before.
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { healthAnswer } from '@vowchat/platform';
import { KafkaReachability } from './kafka-reachability';

@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(KafkaReachability) private readonly kafka: KafkaReachability,
  ) {}

  @Get()
  summary(): { status: 'ok' } {
    return { status: 'ok' };
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
    return healthAnswer(
      () =>
        this.health.check([
          () =>
            this.indicators
              .check('kafka')
              .attempt(() => this.kafka.check())
              .withTimeout(3_000),
        ]),
      response,
    );
  }
}
