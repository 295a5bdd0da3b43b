// Runs the health retention pruner every HEALTH_PRUNE_INTERVAL_MS on every instance (the advisory
// lock lets one prune at a time). A failed round is logged and tried again next interval.
import {
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { JsonLogger } from '@vowchat/platform';
import type { DispatcherConfig } from '../config';
import { CLOCK, DISPATCHER_CONFIG, LOGGER, type Clock } from '../tokens';
import { HealthRetention } from './health-retention';

const DAY_MS = 86_400_000;
// The first round waits a little after boot, so a fleet restarting together does not prune at once.
const FIRST_ROUND_MAX_DELAY_MS = 60_000;

@Injectable()
export class HealthRetentionRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly retention: HealthRetention;
  private readonly log: JsonLogger;
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    @Inject(DataSource) dataSource: DataSource,
    @Inject(LOGGER) logger: JsonLogger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    const { healthRetention } = config;
    this.log = logger.child({ component: 'health-retention' });
    this.retention = new HealthRetention(
      dataSource,
      {
        rawRetentionMs: healthRetention.rawDays * DAY_MS,
        minuteRetentionMs: healthRetention.minuteDays * DAY_MS,
        hourRetentionMs: healthRetention.hourDays * DAY_MS,
      },
      this.log,
    );
  }

  onApplicationBootstrap(): void {
    const interval = this.config.healthRetention.pruneIntervalMs;
    this.schedule(Math.floor(Math.random() * Math.min(interval, FIRST_ROUND_MAX_DELAY_MS)));
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.retention.stop();
    if (this.timer) clearTimeout(this.timer);
    await this.round;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round = this.retention
        .pruneOnce(this.clock.now())
        .then(
          () => undefined,
          (error: Error) => this.log.warnWith('health retention round failed', { error: error.message }),
        )
        .finally(() => this.schedule(this.config.healthRetention.pruneIntervalMs));
    }, delayMs);
    // Never what keeps the process alive.
    this.timer.unref();
  }
}

@Module({ providers: [HealthRetentionRunner] })
export class HealthRetentionModule {}
