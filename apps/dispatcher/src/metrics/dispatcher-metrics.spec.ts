import { bucketBounds, parsePrometheusText, sampleSum } from '../../../../test/support/prometheus-text';
import { DispatcherMetrics, seconds } from './dispatcher-metrics';

describe('DispatcherMetrics', () => {
  it('renders valid exposition text with every family declared, histograms in seconds', async () => {
    const metrics = new DispatcherMetrics();
    metrics.attempts.inc({ outcome: 'timeout', event_type: 'message_created' });
    metrics.attemptDuration.observe({ outcome: 'timeout' }, 5.002);
    metrics.endToEnd.observe(7_200);
    metrics.deadLetters.inc();
    const families = parsePrometheusText(await metrics.render());
    expect(families.get('vowchat_delivery_attempts_total')?.type).toBe('counter');
    expect(sampleSum(families, 'vowchat_delivery_attempts_total', { outcome: 'timeout' })).toBe(1);
    expect(sampleSum(families, 'vowchat_dead_letters_total')).toBe(1);
    expect(bucketBounds(families, 'vowchat_delivery_attempt_duration_seconds')).toEqual([
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
    expect(bucketBounds(families, 'vowchat_delivery_end_to_end_seconds').at(-2)).toBe(172_800);
    expect(
      sampleSum(
        families,
        'vowchat_delivery_end_to_end_seconds',
        { le: '10800' },
        'vowchat_delivery_end_to_end_seconds_bucket',
      ),
    ).toBe(0);
    // prom-client's process metrics, on this registry.
    expect(families.has('nodejs_eventloop_lag_seconds')).toBe(true);
    expect(families.has('nodejs_heap_size_used_bytes')).toBe(true);
    for (const name of families.keys())
      if (name.startsWith('vowchat_'))
        expect(name).toMatch(
          /_(total|seconds|records|bytes|partitions|open|waiting|active|webhooks|disabled|due)$/,
        );
  });

  it('keeps instances apart: two dispatchers in one process do not share series', async () => {
    const a = new DispatcherMetrics({ defaultMetrics: false });
    const b = new DispatcherMetrics({ defaultMetrics: false });
    a.eventsConsumed.inc({ event_type: 'conversation_created' });
    expect(await b.render()).not.toContain('vowchat_events_consumed_total{');
    expect(await a.render()).toContain('vowchat_events_consumed_total{event_type="conversation_created"} 1');
  });

  it('converts the shared millisecond bounds to seconds', () => {
    expect(seconds([10, 5_000])).toEqual([0.01, 5]);
  });
});

describe('DispatcherMetrics without instruments', () => {
  it('keeps nothing, so their cost can be measured against it', async () => {
    const metrics = new DispatcherMetrics({ defaultMetrics: false, instruments: false });
    metrics.attempts.inc({ outcome: 'delivered', event_type: 'message_created' });
    metrics.firstAttemptWait.observe(1);
    metrics.deadLetters.inc();
    const text = await metrics.render();
    expect(text).toContain('vowchat_delivery_first_attempt_wait_seconds_count 0');
    expect(text).toContain('vowchat_dead_letters_total 0');
    expect(text).not.toContain('outcome="delivered"');
  });
});
