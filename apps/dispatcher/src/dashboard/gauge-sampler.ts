// Takes a sample of the live gauges every SAMPLE_MS into the dashboard's GaugeHistory: this
// instance's consumer lag and breakers, the registry's disabled webhooks, and the retry backlog and
// projector lag through the same 5 s CachedProbes that /metrics reads (no extra round trips when
// Prometheus scrapes too). A probe that fails keeps its last value; the sample is still taken.
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { EndpointBreakers } from '../circuit/endpoint-breakers';
import { EventStreamServer } from '../consumer/event-stream.server';
import { ProjectorLagProbe, RetryBacklogProbe } from '../metrics/metrics.module';
import { WebhookRegistry } from '../registry/webhook.registry';
import type { JsonLogger } from '@vowchat/platform';
import { CLOCK, LOGGER, type Clock } from '../tokens';
import { GaugeHistory, type GaugeSample } from './gauge-history';

export const SAMPLE_MS = 10_000;

@Injectable()
export class GaugeSampler implements OnApplicationBootstrap, OnModuleDestroy {
  readonly history = new GaugeHistory();
  readonly sampleMs = SAMPLE_MS;
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;
  private readonly log: JsonLogger;

  constructor(
    @Inject(EventStreamServer) private readonly consumer: EventStreamServer,
    @Inject(EndpointBreakers) private readonly breakers: EndpointBreakers,
    @Inject(WebhookRegistry) private readonly webhooks: WebhookRegistry,
    @Inject(RetryBacklogProbe) private readonly retryBacklog: RetryBacklogProbe,
    @Inject(ProjectorLagProbe) private readonly projectorLag: ProjectorLagProbe,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child({ component: 'dashboard' });
  }

  onApplicationBootstrap(): void {
    void this.sampleOnce();
    this.timer = setInterval(() => void this.sampleOnce(), SAMPLE_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
  }

  /**
   * Takes one sample now (one at a time: a slow probe delays the next sample, never doubles it). A
   * sample that cannot be taken is logged and skipped: the chart shows a gap, the app goes on.
   */
  sampleOnce(): Promise<void> {
    this.sampling ??= this.take()
      .catch((error: unknown) =>
        this.log.warnWith('gauge sample skipped', {
          error: error instanceof Error ? error.message : String(error),
        }),
      )
      .finally(() => (this.sampling = undefined));
    return this.sampling;
  }

  private async take(): Promise<void> {
    const [backlog, projector] = await Promise.all([this.retryBacklog.get(), this.projectorLag.get()]);
    const retries = backlog.ok ? backlog.value : backlog.lastValue;
    const now = this.clock.now().getTime();
    const lags = this.consumer.partitionLag(now);
    const sample: GaugeSample = {
      at: now,
      consumer_lag_records: lags.reduce((s, l) => s + l.lagRecords, 0),
      consumer_lag_seconds: lags.reduce((m, l) => Math.max(m, l.lagSeconds ?? 0), 0),
      retries_waiting: retries?.waiting ?? 0,
      retries_due: retries?.due ?? 0,
      retry_oldest_due_age_seconds: Math.round((retries?.oldestDueAgeSeconds ?? 0) * 10) / 10,
      projector_lag_records: (projector.ok ? projector.value : projector.lastValue) ?? 0,
      breakers_open: this.breakers.openCount,
      webhooks_disabled: this.webhooks.disabledCount,
    };
    this.history.add(sample);
  }
}
