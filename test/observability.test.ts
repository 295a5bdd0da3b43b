// Prometheus metrics and terminus probes of a real dispatcher: /metrics parsed as a scraper would
// after real traffic (histograms with sane buckets), and readiness following Postgres through a TCP
// proxy the test cuts and restores (the shared Postgres is never stopped).
import { exampleEvent, type VowChatEvent } from '@vowchat/events';
import { bucketBounds, parsePrometheusText, sampleSum } from './support/prometheus-text';
import { DATABASE_URL } from './support/infra';
import {
  cleanUp,
  createWebhook,
  dispatcherEnv,
  newSystemNames,
  startDispatcher,
  startSystem,
  type Dispatcher,
  type RunningSystem,
  type SystemNames,
} from './support/system';
import { startPostgresProxy, type TcpProxy } from './support/tcp-proxy';
import { waitFor } from './support/wait-for';

async function scrape(baseUrl: string) {
  const response = await fetch(`${baseUrl}/metrics`);
  expect(response.status).toBe(200);
  // prom-client's type (Express orders its parameters differently; Prometheus reads them by name).
  const type = (response.headers.get('content-type') ?? '').split(/;\s*/);
  expect(type[0]).toBe('text/plain');
  expect(type).toContain('version=0.0.4');
  return parsePrometheusText(await response.text());
}

/** Terminus's answer: `info` (indicators up), `error` (indicators down), `details` (both). */
interface HealthBody {
  status: string;
  info: Record<string, { status: string }>;
  error: Record<string, { status: string; message?: string }>;
}

async function probe(baseUrl: string, path: string) {
  const response = await fetch(`${baseUrl}${path}`);
  return { status: response.status, body: (await response.json()) as HealthBody };
}

describe('dispatcher /metrics after real traffic', () => {
  let system: RunningSystem;

  beforeAll(async () => {
    system = await startSystem();
  });

  afterAll(() => system?.stop());

  it('counts attempts by class and event type, and fills the latency histograms', async () => {
    const { dispatcher, receiver, publisher } = system;
    const account = { id: 9_100, name: 'Metrics' };
    await createWebhook(dispatcher.baseUrl, account.id, receiver.url('/m/ok'), [
      'message_created',
      'conversation_created',
    ]);
    await createWebhook(dispatcher.baseUrl, account.id, receiver.url('/m/500'), ['message_created']);
    receiver.behave('/m/500', { kind: 'status', code: 500 });
    const events: VowChatEvent[] = [
      ...Array.from({ length: 10 }, () => exampleEvent('message_created', account)),
      ...Array.from({ length: 2 }, () => exampleEvent('conversation_created', account)),
    ];
    await publisher.publishMany(events);
    // The failing endpoint gets 4 attempts per event on the test schedule (200, 400, 800 ms), then dead.
    const attempts = (families: Awaited<ReturnType<typeof scrape>>, outcome: string, type?: string) =>
      sampleSum(families, 'vowchat_delivery_attempts_total', {
        outcome,
        ...(type ? { event_type: type } : {}),
      });
    const families = await waitFor(
      'every delivery and every dead attempt to be counted',
      async () => {
        const f = await scrape(dispatcher.baseUrl);
        return attempts(f, 'delivered') === 12 && attempts(f, 'dead') === 10 ? f : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(attempts(families, 'delivered', 'message_created')).toBe(10);
    expect(attempts(families, 'delivered', 'conversation_created')).toBe(2);
    expect(attempts(families, 'retried_5xx', 'message_created')).toBe(30);
    expect(sampleSum(families, 'vowchat_events_consumed_total')).toBe(12);
    expect(sampleSum(families, 'vowchat_events_consumed_total', { event_type: 'message_created' })).toBe(10);

    // Histograms: every attempt timed, buckets in seconds up to the 5 s limit.
    const duration = 'vowchat_delivery_attempt_duration_seconds';
    expect(families.get(duration)?.type).toBe('histogram');
    expect(sampleSum(families, duration, {}, `${duration}_count`)).toBe(52);
    expect(bucketBounds(families, duration)).toEqual([
      0.01,
      0.025,
      0.05,
      0.1,
      0.25,
      0.5,
      1,
      2.5,
      5,
      Infinity,
    ]);
    // Each success has an end-to-end latency (from the Kafka timestamp), each first attempt a wait.
    const endToEnd = 'vowchat_delivery_end_to_end_seconds';
    expect(sampleSum(families, endToEnd, {}, `${endToEnd}_count`)).toBe(12);
    expect(bucketBounds(families, endToEnd).at(-2)).toBe(172_800);
    const wait = 'vowchat_delivery_first_attempt_wait_seconds';
    expect(sampleSum(families, wait, {}, `${wait}_count`)).toBe(22);
    // Locally the first attempt starts well within 30 s of publish.
    expect(sampleSum(families, wait, { le: '30' }, `${wait}_bucket`)).toBe(22);

    // Gauges: per-partition consumer lag, retry backlog, projector lag, process metrics.
    const lag = families.get('vowchat_consumer_lag_records')!;
    expect(lag.type).toBe('gauge');
    expect(lag.samples.length).toBeGreaterThan(0);
    for (const s of lag.samples) {
      expect(Object.values(system.names.topics)).toContain(s.labels.topic);
      expect(s.labels.partition).toMatch(/^\d+$/);
    }
    expect(families.has('vowchat_consumer_lag_seconds')).toBe(true);
    for (const name of [
      'vowchat_retries_waiting',
      'vowchat_retry_oldest_due_age_seconds',
      'vowchat_projector_lag_records',
      'vowchat_breakers_open',
      'vowchat_webhooks_disabled',
      'vowchat_delivery_in_flight_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_gc_duration_seconds',
      'process_cpu_seconds_total',
    ])
      expect(families.has(name)).toBe(true);
    // No label names a webhook or an account.
    for (const family of families.values())
      for (const sample of family.samples)
        expect(Object.keys(sample.labels).filter((l) => /webhook|account/.test(l))).toEqual([]);
  });

  it('answers liveness and readiness, and /health as before', async () => {
    const { baseUrl } = system.dispatcher;
    expect(await probe(baseUrl, '/health/live')).toMatchObject({
      status: 200,
      body: { status: 'ok', info: { process: { status: 'up' } } },
    });
    const ready = await waitFor('readiness', async () => {
      const answer = await probe(baseUrl, '/health/ready');
      return answer.status === 200 ? answer : undefined;
    });
    expect(Object.keys(ready.body.info).sort()).toEqual([
      'kafka_consumer',
      'partitions',
      'postgres',
      'projector',
    ]);
    expect(await probe(baseUrl, '/health')).toMatchObject({
      status: 200,
      body: { status: 'ok', webhooks: 2 },
    });
  });
});

describe('dispatcher readiness when Postgres becomes unreachable', () => {
  let names: SystemNames;
  let proxy: TcpProxy;
  let dispatcher: Dispatcher;

  beforeAll(async () => {
    let proxiedUrl: string;
    ({ proxy, url: proxiedUrl } = await startPostgresProxy(DATABASE_URL));
    names = newSystemNames();
    dispatcher = await startDispatcher(dispatcherEnv(names, { DATABASE_URL: proxiedUrl }));
  });

  afterAll(async () => {
    await proxy?.restore();
    await dispatcher?.stop();
    await proxy?.close();
    if (names) await cleanUp(names);
  });

  it('answers 503 naming postgres while it is cut off, stays live, and is ready again once it is back', async () => {
    const { baseUrl } = dispatcher;
    const ready = () => probe(baseUrl, '/health/ready');
    await waitFor('ready before the cut', async () => (await ready()).status === 200);

    await proxy.cut();
    const down = await waitFor('readiness to fail', async () => {
      const answer = await ready();
      return answer.status === 503 ? answer : undefined;
    });
    expect(down.body).toMatchObject({
      status: 'error',
      error: { postgres: { status: 'down' } },
      info: { kafka_consumer: { status: 'up' } },
    });
    expect(Object.keys(down.body.error)).toEqual(['postgres']);
    expect((await probe(baseUrl, '/health/live')).status).toBe(200);
    expect((await probe(baseUrl, '/health')).status).toBe(200);

    await proxy.restore();
    const back = await waitFor('readiness to recover', async () => {
      const answer = await ready();
      return answer.status === 200 ? answer : undefined;
    });
    expect(back.body).toMatchObject({ status: 'ok', info: { postgres: { status: 'up' } } });
  });
});
