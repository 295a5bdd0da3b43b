// The producer's Prometheus metrics and terminus probes, on a real producer and broker.
import { exampleEvent } from '@vowchat/events';
import { bucketBounds, parsePrometheusText, sampleSum } from './support/prometheus-text';
import { startProducer, type RunningProducer } from './support/producer-app';

let producer: RunningProducer;

beforeAll(async () => {
  producer = await startProducer({ maxBodyBytes: 4 * 1024 });
});

afterAll(() => producer?.close());

async function post(path: string, body: string, token: string | null = producer.token) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.api_access_token = token;
  return (await fetch(`${producer.url}${path}`, { method: 'POST', headers, body })).status;
}

async function scrape() {
  const response = await fetch(`${producer.url}/metrics`);
  expect(response.status).toBe(200);
  return parsePrometheusText(await response.text());
}

describe('producer /metrics', () => {
  it('counts accepted events by type, refused requests by reason, and times publishing', async () => {
    const account = { id: 501, name: 'Producer metrics' };
    const events = `/api/v1/accounts/${account.id}/events`;
    expect(await post(events, JSON.stringify(exampleEvent('message_created', account)))).toBe(202);
    expect(
      await post(
        `${events}/batch`,
        JSON.stringify({
          events: [exampleEvent('message_created', account), exampleEvent('conversation_typing_on', account)],
        }),
      ),
    ).toBe(202);
    expect(await post(events, '{"event":"message_created"', producer.token)).toBe(400);
    expect(await post(events, JSON.stringify({ event: 'no_such_event', account }))).toBe(422);
    expect(await post(events, JSON.stringify(exampleEvent('message_created', account)), null)).toBe(401);
    expect(await post(events, JSON.stringify({ padding: 'x'.repeat(8 * 1024) }))).toBe(413);

    const families = await scrape();
    const accepted = 'vowchat_producer_events_accepted_total';
    expect(sampleSum(families, accepted, { event_type: 'message_created' })).toBe(2);
    expect(sampleSum(families, accepted, { event_type: 'conversation_typing_on' })).toBe(1);
    const refused = 'vowchat_producer_requests_refused_total';
    expect(sampleSum(families, refused, { reason: 'malformed' })).toBe(1);
    expect(sampleSum(families, refused, { reason: 'validation' })).toBe(1);
    expect(sampleSum(families, refused, { reason: 'unauthorized' })).toBe(1);
    expect(sampleSum(families, refused, { reason: 'too_large' })).toBe(1);
    const publish = 'vowchat_producer_publish_duration_seconds';
    expect(families.get(publish)?.type).toBe('histogram');
    expect(sampleSum(families, publish, { outcome: 'published' }, `${publish}_count`)).toBe(2);
    expect(bucketBounds(families, publish).at(-1)).toBe(Infinity);
    expect(families.has('nodejs_eventloop_lag_seconds')).toBe(true);
  });
});

describe('producer probes', () => {
  it('is live, ready while Kafka answers, and keeps GET /health as it was', async () => {
    const live = await fetch(`${producer.url}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${producer.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', info: { kafka: { status: 'up' } } });
    const health = await fetch(`${producer.url}/health`);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('is not ready, naming Kafka, when no broker answers', async () => {
    const unreachable = await startProducer();
    try {
      // Point the readiness probe of a running producer at a port where no broker listens.
      const { KafkaReachability } = await import('../apps/producer/src/health/kafka-reachability');
      const probe = unreachable.app.get(KafkaReachability);
      Object.assign(probe, new KafkaReachability('unreachable', ['127.0.0.1:1']));
      const response = await fetch(`${unreachable.url}/health/ready`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ status: 'error', error: { kafka: { status: 'down' } } });
    } finally {
      await unreachable.close();
    }
  });
});
