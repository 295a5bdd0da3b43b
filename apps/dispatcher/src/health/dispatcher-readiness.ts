// What makes a dispatcher ready for traffic, one terminus indicator each: the event consumer is
// running and has joined its group, no partition is stalled, Postgres answers `SELECT 1` in time,
// and the outcome projector is not far behind the delivery topic. Liveness asks for none of them:
// a dispatcher whose Postgres is down still serves and should not be restarted for it.
import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { ProbeReading } from '../metrics/cached-probe';

export interface ReadinessSources {
  consumer: {
    consumerStatus(): { running: boolean; joined: boolean; assigned: number };
    stalledPartitions(): { topic: string; partition: number; stalledForMs: number; inFlight: number }[];
  };
  database: { query(sql: string): Promise<unknown> };
  projectorLag: { get(): Promise<ProbeReading<number>> };
}

export interface ReadinessSettings {
  /** Delivery-topic records the projector may be behind before the instance is not ready. */
  projectorMaxLagRecords: number;
  /** How long `SELECT 1` may take. */
  databaseTimeoutMs: number;
}

export class DispatcherReadiness {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly sources: ReadinessSources,
    private readonly settings: ReadinessSettings,
  ) {}

  /** The readiness indicators, for HealthCheckService.check. */
  checks(): (() => HealthIndicatorResult | PromiseLike<HealthIndicatorResult>)[] {
    return [
      () => this.kafkaConsumer(),
      () => this.partitions(),
      () => this.postgres(),
      () => this.projector(),
    ];
  }

  kafkaConsumer() {
    const check = this.indicators.check('kafka_consumer');
    const { running, joined, assigned } = this.sources.consumer.consumerStatus();
    if (!running) return check.down({ message: 'the event consumer is not running' });
    if (!joined) return check.down({ message: 'the event consumer has not joined its consumer group' });
    return check.up({ assigned_partitions: assigned });
  }

  partitions() {
    const check = this.indicators.check('partitions');
    const stalled = this.sources.consumer.stalledPartitions();
    if (stalled.length === 0) return check.up();
    return check.down({
      message: `${stalled.length} partition(s) cannot make progress`,
      stalled: stalled.map((p) => ({
        topic: p.topic,
        partition: p.partition,
        stalled_for_ms: p.stalledForMs,
        in_flight: p.inFlight,
      })),
    });
  }

  postgres() {
    return this.indicators
      .check('postgres')
      .attempt(async () => {
        await this.sources.database.query('SELECT 1');
      })
      .withTimeout(this.settings.databaseTimeoutMs);
  }

  async projector() {
    const check = this.indicators.check('projector');
    const reading = await this.sources.projectorLag.get();
    const max = this.settings.projectorMaxLagRecords;
    if (!reading.ok) return check.down({ message: `the projector's lag is unknown: ${reading.error}` });
    if (reading.value > max)
      return check.down({
        message: `the projector is ${reading.value} delivery records behind (more than ${max})`,
        lag_records: reading.value,
        max_lag_records: max,
      });
    return check.up({ lag_records: reading.value, max_lag_records: max });
  }
}
