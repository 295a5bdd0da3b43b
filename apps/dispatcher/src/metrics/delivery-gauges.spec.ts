import { Registry } from 'prom-client';
import { registerDeliveryGauges, type DeliveryGaugeSources } from './delivery-gauges';

function sources(overrides: Partial<DeliveryGaugeSources> = {}): DeliveryGaugeSources {
  return {
    consumer: {
      inFlight: 7,
      inFlightBytes: 700,
      pausedPartitions: 1,
      partitionLag: () => [{ topic: 'vowchat.messages', partition: 2, lagRecords: 40, lagSeconds: 3 }],
      stalledPartitions: () => [],
    },
    queues: { waiting: 5, active: 2 },
    outcomes: { pendingDurable: 12 },
    breakers: { openCount: 1 },
    webhooks: { size: 9, disabledCount: 2 },
    retryBacklog: {
      get: async () => ({ ok: true, value: { waiting: 4, due: 1, oldestDueAgeSeconds: 6 }, at: 0 }),
    },
    projectorLag: { get: async () => ({ ok: false, error: 'down', at: 0, lastValue: 3 }) },
    ...overrides,
  };
}

async function values(registry: Registry): Promise<Record<string, number>> {
  const read: Record<string, number> = {};
  for (const metric of await registry.getMetricsAsJSON())
    for (const v of metric.values)
      read[Object.keys(v.labels).length === 0 ? metric.name : `${metric.name}${JSON.stringify(v.labels)}`] =
        v.value;
  return read;
}

describe('registerDeliveryGauges', () => {
  it('reads each gauge from its source when scraped', async () => {
    const registry = new Registry();
    registerDeliveryGauges(registry, sources());
    expect(await values(registry)).toEqual({
      'vowchat_consumer_lag_records{"topic":"vowchat.messages","partition":"2"}': 40,
      'vowchat_consumer_lag_seconds{"topic":"vowchat.messages","partition":"2"}': 3,
      vowchat_consumer_stalled_partitions: 0,
      vowchat_delivery_paused_partitions: 1,
      vowchat_delivery_in_flight_records: 7,
      vowchat_delivery_in_flight_bytes: 700,
      vowchat_delivery_jobs_waiting: 5,
      vowchat_delivery_jobs_active: 2,
      vowchat_delivery_outcomes_pending: 12,
      vowchat_breakers_open: 1,
      vowchat_registry_webhooks: 9,
      vowchat_webhooks_disabled: 2,
      vowchat_retries_waiting: 4,
      vowchat_retries_due: 1,
      vowchat_retry_oldest_due_age_seconds: 6,
      // A failing probe's gauge keeps its last good value.
      vowchat_projector_lag_records: 3,
    });
  });
});
