// The dispatcher's gauges: live state read when Prometheus scrapes, never maintained on the hot
// path. Readings that cost a round trip (retry backlog, projector lag) come through CachedProbes.
import { Gauge, type Registry } from 'prom-client';
import type { ProbeReading } from './cached-probe';
import type { RetryBacklog } from './retry-backlog';

/** What the Kafka consumer edge (EventStreamServer) reports about its partitions. */
export interface ConsumerGaugeSource {
  readonly inFlight: number;
  readonly inFlightBytes: number;
  readonly pausedPartitions: number;
  partitionLag(): { topic: string; partition: number; lagRecords: number; lagSeconds: number }[];
  stalledPartitions(): { topic: string; partition: number }[];
}

type Probe<T> = { get(): Promise<ProbeReading<T>> };

export interface DeliveryGaugeSources {
  consumer: ConsumerGaugeSource;
  queues: { readonly waiting: number; readonly active: number };
  /** Jobs whose attempt is over (or deferred) and whose outcome is still being written. */
  outcomes: { readonly pendingDurable: number };
  breakers: { readonly openCount: number };
  webhooks: { readonly size: number; readonly disabledCount: number };
  retryBacklog: Probe<RetryBacklog>;
  /** Delivery-topic records the outcome projector has not yet written to Postgres. */
  projectorLag: Probe<number>;
}

export function registerDeliveryGauges(registry: Registry, s: DeliveryGaugeSources): void {
  const registers = [registry];
  const plain = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  // A probe's gauge keeps its last good value while the probe fails (the failure is readiness's job).
  const probed = <T>(name: string, help: string, probe: Probe<T>, read: (value: T) => number) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const reading = await probe.get();
        const value = reading.ok ? reading.value : reading.lastValue;
        if (value !== undefined) this.set(read(value));
      },
    });
  const perPartition = (
    name: string,
    help: string,
    read: (p: ReturnType<ConsumerGaugeSource['partitionLag']>[number]) => number,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['topic', 'partition'] as const,
      registers,
      collect() {
        // Partitions revoked since the last scrape disappear rather than freeze.
        this.reset();
        for (const p of s.consumer.partitionLag())
          this.set({ topic: p.topic, partition: String(p.partition) }, read(p));
      },
    });

  perPartition(
    'vowchat_consumer_lag_records',
    'Records on an event partition not yet taken by this instance',
    (p) => p.lagRecords,
  );
  perPartition(
    'vowchat_consumer_lag_seconds',
    'Age of the oldest record on an event partition not yet durable (0 when caught up)',
    (p) => p.lagSeconds,
  );
  plain(
    'vowchat_consumer_stalled_partitions',
    'Event partitions that cannot make progress',
    () => s.consumer.stalledPartitions().length,
  );
  plain(
    'vowchat_delivery_paused_partitions',
    'Partitions paused for back-pressure',
    () => s.consumer.pausedPartitions,
  );
  plain(
    'vowchat_delivery_in_flight_records',
    'Consumed records whose deliveries are not yet durable',
    () => s.consumer.inFlight,
  );
  plain(
    'vowchat_delivery_in_flight_bytes',
    'Bytes of consumed records whose deliveries are not yet durable',
    () => s.consumer.inFlightBytes,
  );
  plain('vowchat_delivery_jobs_waiting', 'Delivery jobs waiting in endpoint lanes', () => s.queues.waiting);
  plain('vowchat_delivery_jobs_active', 'Delivery requests in flight', () => s.queues.active);
  plain(
    'vowchat_delivery_outcomes_pending',
    'Deliveries attempted or deferred whose outcome is not yet written (Kafka or Postgres slow or away)',
    () => s.outcomes.pendingDurable,
  );
  plain('vowchat_breakers_open', 'Endpoint breakers open or half-open', () => s.breakers.openCount);
  plain('vowchat_registry_webhooks', 'Webhooks held in the in-memory registry', () => s.webhooks.size);
  plain(
    'vowchat_webhooks_disabled',
    'Webhooks disabled (by the API or after 410 Gone)',
    () => s.webhooks.disabledCount,
  );
  probed(
    'vowchat_retries_waiting',
    'Deliveries waiting in the retry store',
    s.retryBacklog,
    (b) => b.waiting,
  );
  probed('vowchat_retries_due', 'Retry-store rows due now', s.retryBacklog, (b) => b.due);
  probed(
    'vowchat_retry_oldest_due_age_seconds',
    'How long the oldest due retry has waited past its due time',
    s.retryBacklog,
    (b) => b.oldestDueAgeSeconds,
  );
  probed(
    'vowchat_projector_lag_records',
    'Delivery-topic records not yet projected into Postgres',
    s.projectorLag,
    (records) => records,
  );
}
