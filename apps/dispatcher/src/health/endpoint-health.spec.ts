import {
  addTotals,
  emptyTotals,
  failingSince,
  healthFigures,
  healthScore,
  type HealthTotals,
} from './endpoint-health';

function totals(overrides: Partial<HealthTotals>): HealthTotals {
  return { ...emptyTotals(), ...overrides };
}

const at = (iso: string) => new Date(iso);

describe('healthFigures', () => {
  // 100 deliveries: 85 delivered first time, 10 answered 500 then delivered, 5 timed out then delivered.
  const window = totals({
    attempts: 115,
    delivered: 100,
    retried5xx: 10,
    timeouts: 5,
    firstAttempts: 100,
    firstAttemptDelivered: 85,
    durationBuckets: [100, 10, 0, 0, 0, 0, 0, 0, 0, 5],
    durationSumMs: 2_000,
    durationMaxMs: 5_003,
    e2eBuckets: [85, 0, 0, 15],
    e2eCount: 100,
    e2eSumMs: 10_000,
    e2eMaxMs: 900,
    waitBuckets: [100],
    waitCount: 100,
    lastSuccessAt: at('2026-03-10T12:00:00Z'),
    lastFailureAt: at('2026-03-10T11:59:00Z'),
  });

  it('gives rates, ratios and counts', () => {
    const f = healthFigures(window, 100);
    expect(f.rate).toEqual({
      attempts_per_second: 1.15,
      delivered_per_second: 1,
      attempts_per_minute: 69,
      delivered_per_minute: 60,
    });
    expect(f.success_ratio).toBe(0.8696);
    expect(f.first_attempt_success_ratio).toBe(0.85);
    expect(f.counts).toMatchObject({
      attempts: 115,
      delivered: 100,
      retried_5xx: 10,
      timeouts: 5,
      failed: 0,
    });
    expect(f.last_success_at).toBe('2026-03-10T12:00:00.000Z');
  });

  it('gives latency percentiles, mean and max', () => {
    const f = healthFigures(window, 100);
    expect(f.attempt_duration_ms).toMatchObject({ count: 115, max: 5_003, mean: 17.4 });
    expect(f.attempt_duration_ms.p50).toBeLessThanOrEqual(10);
    expect(f.attempt_duration_ms.p99).toBeGreaterThan(5_000);
    expect(f.end_to_end_ms).toMatchObject({ count: 100, mean: 100, max: 900 });
    expect(f.end_to_end_ms.p95).toBeGreaterThan(500);
    expect(f.first_attempt_wait_ms).toMatchObject({ count: 100, p99: 99 });
  });

  it('answers null ratios and zero rates without traffic', () => {
    const f = healthFigures(emptyTotals(), 60);
    expect(f.success_ratio).toBeNull();
    expect(f.first_attempt_success_ratio).toBeNull();
    expect(f.rate.attempts_per_second).toBe(0);
    expect(f.attempt_duration_ms).toEqual({
      p50: null,
      p95: null,
      p99: null,
      mean: null,
      max: null,
      count: 0,
    });
  });
});

describe('addTotals', () => {
  it('adds counts and buckets, keeps the maxima and the latest times', () => {
    const a = totals({
      attempts: 2,
      durationBuckets: [1, 1],
      durationMaxMs: 7,
      lastSuccessAt: at('2026-01-01'),
    });
    const b = totals({
      attempts: 3,
      durationBuckets: [0, 1, 2],
      durationMaxMs: 5,
      lastFailureAt: at('2026-01-02'),
    });
    expect(addTotals(a, b)).toMatchObject({
      attempts: 5,
      durationBuckets: [1, 2, 2],
      durationMaxMs: 7,
      lastSuccessAt: at('2026-01-01'),
      lastFailureAt: at('2026-01-02'),
    });
  });
});

describe('healthScore', () => {
  it('is 1 for an idle endpoint and near 1 for a healthy busy one', () => {
    expect(healthScore(0, 0, false)).toBe(1);
    expect(healthScore(1_000, 1_000, false)).toBe(1);
  });

  it('ranks many failures below one failure', () => {
    expect(healthScore(500, 0, false)).toBeLessThan(healthScore(1, 0, false));
    expect(healthScore(1, 0, false)).toBe(0.5);
  });

  it('halves while the breaker is open', () => {
    expect(healthScore(9, 9, true)).toBe(0.5);
  });
});

describe('failingSince', () => {
  const success = at('2026-03-10T10:00:30Z');

  it('is null while the latest outcome is a success', () => {
    expect(failingSince(success, at('2026-03-10T09:00:00Z'), null, null)).toBeNull();
    expect(failingSince(success, null, null, null)).toBeNull();
    expect(failingSince(null, null, null, null)).toBeNull();
  });

  it('is the first failing minute after the last success', () => {
    expect(
      failingSince(
        success,
        at('2026-03-10T12:00:00Z'),
        at('2026-03-10T10:05:00Z'),
        at('2026-03-10T10:00:30Z'),
      ),
    ).toEqual(at('2026-03-10T10:05:00Z'));
  });

  it('is never before the last success (a failure later in the success minute)', () => {
    expect(
      failingSince(
        success,
        at('2026-03-10T12:00:00Z'),
        at('2026-03-10T10:00:00Z'),
        at('2026-03-10T10:00:00Z'),
      ),
    ).toEqual(success);
  });

  it('takes the hour rows when they reach further back than the minute rows are kept', () => {
    expect(
      failingSince(null, at('2026-03-10T12:00:00Z'), at('2026-03-03T12:01:00Z'), at('2026-02-20T08:00:00Z')),
    ).toEqual(at('2026-02-20T08:00:00Z'));
  });

  it('falls back to the hour rows, then to the last failure', () => {
    expect(failingSince(null, at('2026-03-10T12:00:00Z'), null, at('2026-03-10T11:00:00Z'))).toEqual(
      at('2026-03-10T11:00:00Z'),
    );
    expect(failingSince(null, at('2026-03-10T12:00:00Z'), null, null)).toEqual(at('2026-03-10T12:00:00Z'));
  });
});
