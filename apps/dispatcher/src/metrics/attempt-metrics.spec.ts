import type { EventType } from '@vowchat/events';
import { countAttempt, latenciesOf } from './attempt-metrics';
import { DispatcherMetrics } from './dispatcher-metrics';

const published = '2026-11-25T12:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(published) + ms);
const job = (attempt: number, publishedAt: string | null = published) => ({
  eventType: 'message_created' as EventType,
  attempt,
  publishedAt,
});

describe('latenciesOf', () => {
  it('measures the first attempt from publish to its start, a success from publish to its end', () => {
    expect(
      latenciesOf({ job: job(1), outcome: 'delivered', startedAt: at(250), finishedAt: at(400) }),
    ).toEqual({ firstAttemptWait: 0.25, endToEnd: 0.4 });
  });

  it('gives no first-attempt wait for a retry, no end-to-end for a failure', () => {
    expect(
      latenciesOf({ job: job(3), outcome: 'delivered', startedAt: at(3_600_000), finishedAt: at(3_600_050) }),
    ).toEqual({ firstAttemptWait: null, endToEnd: 3600.05 });
    expect(latenciesOf({ job: job(1), outcome: 'retrying', startedAt: at(10), finishedAt: at(20) })).toEqual({
      firstAttemptWait: 0.01,
      endToEnd: null,
    });
  });

  it('measures nothing without a publish time, and never a negative latency', () => {
    expect(
      latenciesOf({ job: job(1, null), outcome: 'delivered', startedAt: at(1), finishedAt: at(2) }),
    ).toEqual({
      firstAttemptWait: null,
      endToEnd: null,
    });
    expect(
      latenciesOf({ job: job(1), outcome: 'delivered', startedAt: at(-50), finishedAt: at(-10) }),
    ).toEqual({
      firstAttemptWait: 0,
      endToEnd: 0,
    });
  });
});

describe('countAttempt', () => {
  it('counts the attempt by class and event type and observes its duration and latencies', async () => {
    const metrics = new DispatcherMetrics({ defaultMetrics: false });
    countAttempt(metrics, {
      job: job(1),
      outcome: 'retrying',
      failureClass: 'http_5xx',
      durationMs: 30,
      startedAt: at(100),
      finishedAt: at(130),
    });
    countAttempt(metrics, {
      job: job(2),
      outcome: 'delivered',
      failureClass: null,
      durationMs: 20,
      startedAt: at(5_000),
      finishedAt: at(5_020),
    });
    const text = await metrics.render();
    expect(text).toContain(
      'vowchat_delivery_attempts_total{outcome="retried_5xx",event_type="message_created"} 1',
    );
    expect(text).toContain(
      'vowchat_delivery_attempts_total{outcome="delivered",event_type="message_created"} 1',
    );
    expect(text).toContain(
      'vowchat_delivery_attempt_duration_seconds_bucket{le="0.025",outcome="delivered"} 1',
    );
    expect(text).toContain('vowchat_delivery_first_attempt_wait_seconds_count 1');
    expect(text).toContain('vowchat_delivery_first_attempt_wait_seconds_sum 0.1');
    expect(text).toContain('vowchat_delivery_end_to_end_seconds_sum 5.02');
  });
});
