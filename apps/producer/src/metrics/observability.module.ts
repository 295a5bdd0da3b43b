// The producer's /metrics and /health (terminus): its own metrics registry, a Kafka reachability
// probe for readiness, and the controllers that serve them. ProducerMetrics is exported for the
// events API, which counts what it accepts.
import {
  Controller,
  Get,
  Header,
  Inject,
  Module,
  Res,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { Response } from 'express';
import type { ProducerConfig } from '../config';
import { HealthController } from '../health/health.controller';
import { KafkaReachability } from '../health/kafka-reachability';
import { ProducerMetrics } from './producer-metrics';

@Controller()
export class MetricsController {
  constructor(@Inject(ProducerMetrics) private readonly metrics: ProducerMetrics) {}

  /** Prometheus exposition text (unauthenticated: scrapers carry no API token). */
  @Get('metrics')
  @Header('cache-control', 'no-store')
  async render(@Res({ passthrough: true }) response: Response): Promise<string> {
    response.type(this.metrics.contentType);
    return this.metrics.render();
  }
}

@Module({})
export class ObservabilityModule implements OnApplicationShutdown {
  constructor(@Inject(KafkaReachability) private readonly kafka: KafkaReachability) {}

  static forRoot(config: ProducerConfig): DynamicModule {
    return {
      module: ObservabilityModule,
      // No terminus logger: a failed probe answers 503 naming the check.
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [MetricsController, HealthController],
      providers: [
        { provide: ProducerMetrics, useFactory: () => new ProducerMetrics() },
        {
          provide: KafkaReachability,
          useFactory: () => new KafkaReachability(config.kafka.clientId, config.kafka.brokers),
        },
      ],
      exports: [ProducerMetrics],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.kafka.close();
  }
}
