import { Test } from '@nestjs/testing';
import { HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import type { ProbeReading } from '../metrics/cached-probe';
import { DispatcherReadiness, type ReadinessSources } from './dispatcher-readiness';

function sources(
  overrides: Partial<{
    status: { running: boolean; joined: boolean; assigned: number };
    stalled: ReturnType<ReadinessSources['consumer']['stalledPartitions']>;
    query: () => Promise<unknown>;
    lag: ProbeReading<number>;
  }> = {},
): ReadinessSources {
  return {
    consumer: {
      consumerStatus: () => overrides.status ?? { running: true, joined: true, assigned: 3 },
      stalledPartitions: () => overrides.stalled ?? [],
    },
    database: { query: overrides.query ?? (() => Promise.resolve([{ '?column?': 1 }])) },
    projectorLag: { get: () => Promise.resolve(overrides.lag ?? { ok: true, value: 12, at: 0 }) },
  };
}

const settings = { projectorMaxLagRecords: 1_000, databaseTimeoutMs: 50 };
const indicators = new HealthIndicatorService();
const readinessOf = (s: ReadinessSources) => new DispatcherReadiness(indicators, s, settings);

/** Runs every check and returns each indicator's status by key. */
async function statuses(readiness: DispatcherReadiness): Promise<Record<string, unknown>> {
  const results: Record<string, unknown>[] = [];
  for (const check of readiness.checks()) results.push(await check());
  return Object.assign({}, ...results) as Record<string, unknown>;
}

describe('DispatcherReadiness', () => {
  it('is up when the consumer runs in its group, nothing stalls, Postgres answers and the projector keeps up', async () => {
    expect(await statuses(readinessOf(sources()))).toMatchObject({
      kafka_consumer: { status: 'up', assigned_partitions: 3 },
      partitions: { status: 'up' },
      postgres: { status: 'up', responseTime: expect.any(Number) },
      projector: { status: 'up', lag_records: 12, max_lag_records: 1_000 },
    });
  });

  it('names a consumer that is not running or has not joined its group', async () => {
    const stopped = readinessOf(sources({ status: { running: false, joined: false, assigned: 0 } }));
    expect(stopped.kafkaConsumer()).toEqual({
      kafka_consumer: { status: 'down', message: 'the event consumer is not running' },
    });
    const joining = readinessOf(sources({ status: { running: true, joined: false, assigned: 0 } }));
    expect(joining.kafkaConsumer().kafka_consumer.status).toBe('down');
  });

  it('lists stalled partitions', () => {
    const stalled = readinessOf(
      sources({
        stalled: [{ topic: 'vowchat.messages', partition: 2, stalledForMs: 180_000, inFlight: 40 }],
      }),
    );
    expect(stalled.partitions()).toEqual({
      partitions: {
        status: 'down',
        message: '1 partition(s) cannot make progress',
        stalled: [{ topic: 'vowchat.messages', partition: 2, stalled_for_ms: 180_000, in_flight: 40 }],
      },
    });
  });

  it('fails Postgres on an error and on a query that does not answer in time', async () => {
    const refused = readinessOf(sources({ query: () => Promise.reject(new Error('connect ECONNREFUSED')) }));
    expect(await refused.postgres()).toMatchObject({
      postgres: { status: 'down', message: 'connect ECONNREFUSED' },
    });
    const hung = readinessOf(sources({ query: () => new Promise(() => undefined) }));
    expect((await hung.postgres()).postgres.status).toBe('down');
  });

  it('fails a projector past the lag threshold, or whose lag cannot be read', async () => {
    expect(await readinessOf(sources({ lag: { ok: true, value: 1_001, at: 0 } })).projector()).toEqual({
      projector: {
        status: 'down',
        message: 'the projector is 1001 delivery records behind (more than 1000)',
        lag_records: 1_001,
        max_lag_records: 1_000,
      },
    });
    const unknown = await readinessOf(
      sources({ lag: { ok: false, error: 'Kafka did not answer', at: 0, lastValue: 5 } }),
    ).projector();
    expect(unknown.projector).toEqual({
      status: 'down',
      message: "the projector's lag is unknown: Kafka did not answer",
    });
  });

  it('makes terminus answer 503 naming only what failed', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [TerminusModule.forRoot({ logger: false })],
    }).compile();
    const health = moduleRef.get(HealthCheckService);
    await expect(
      health.check(readinessOf(sources({ query: () => Promise.reject(new Error('down')) })).checks()),
    ).rejects.toMatchObject({
      response: { status: 'error', error: { postgres: { status: 'down', message: 'down' } } },
    });
  });
});
