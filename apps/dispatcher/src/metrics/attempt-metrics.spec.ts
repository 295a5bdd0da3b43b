import type { EventType } from '@vowchat/events';
import { countAttempt, endToEndOf } from './attempt-metrics';
import { DispatcherMetrics } from './dispatcher-metrics';

const published = '2026-11-25T12:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(published) + ms);
const job = (attempt: number, publishedAt: string | null = published) => ({
  eventType: 'message_created' as EventType,
  attempt,
  publishedAt,
});

describe('endToEndOf', () => {
  it('measures a success from publish to its end, retries included', () => {
    expect(endToEndOf({ job: job(1), outcome: 'delivered', finishedAt: at(400) })).toBe(0.4);
    expect(endToEndOf({ job: job(3), outcome: 'delivered', finishedAt: at(3_600_050) })).toBe(3600.05);
  });

  it('measures no failure, nothing without a publish time, and never a negative latency', () => {
    expect(endToEndOf({ job: job(1), outcome: 'retrying', finishedAt: at(20) })).toBeNull();
    expect(endToEndOf({ job: job(1, null), outcome: 'delivered', finishedAt: at(2) })).toBeNull();
    expect(endToEndOf({ job: job(1), outcome: 'delivered', finishedAt: at(-10) })).toBe(0);
  });
});

describe('countAttempt', () => {
  it('counts the attempt by class and event type and observes its duration and end-to-end latency', async () => {
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
    expect(text).toContain('vowchat_delivery_first_attempt_wait_seconds_count 0'); // the pipeline's
    expect(text).toContain('vowchat_delivery_end_to_end_seconds_sum 5.02');
  });
});
