import { FIRST_ATTEMPT_WAIT_BOUNDS_MS } from './health-buckets';
import {
  burnRate,
  errorBudgetRemaining,
  SLO,
  SLO_GOOD_BUCKETS,
  sloCounts,
  sloIndicator,
  sloReport,
} from './platform-slo';

describe('the platform SLO', () => {
  it('counts the buckets up to and including 30 s as good', () => {
    expect(FIRST_ATTEMPT_WAIT_BOUNDS_MS[SLO_GOOD_BUCKETS - 1]).toBe(SLO.thresholdMs);
    const buckets = new Array<number>(FIRST_ATTEMPT_WAIT_BOUNDS_MS.length + 1).fill(1);
    expect(sloCounts(buckets)).toEqual({ good: SLO_GOOD_BUCKETS, total: buckets.length });
  });

  it('has an indicator only with first attempts', () => {
    expect(sloIndicator({ good: 999, total: 1_000 })).toBe(0.999);
    expect(sloIndicator({ good: 0, total: 0 })).toBeNull();
  });

  it('spends the error budget by bad first attempts', () => {
    expect(errorBudgetRemaining({ good: 10_000, total: 10_000 })).toBe(1);
    expect(errorBudgetRemaining({ good: 9_995, total: 10_000 })).toBeCloseTo(0.5);
    expect(errorBudgetRemaining({ good: 9_980, total: 10_000 })).toBeCloseTo(-1);
    expect(errorBudgetRemaining({ good: 0, total: 0 })).toBe(1);
  });

  it('burns at 1 when the bad share equals the budget', () => {
    expect(burnRate({ good: 999, total: 1_000 })).toBeCloseTo(1);
    expect(burnRate({ good: 0, total: 10 })).toBeCloseTo(1_000);
    expect(burnRate({ good: 0, total: 0 })).toBeNull();
  });

  it('reports the period and each burn-rate window', () => {
    const none = { good: 0, total: 0 };
    const report = sloReport(
      { good: 1_998, total: 2_000 },
      { '5m': none, '1h': { good: 9, total: 10 }, '6h': none, '24h': none },
    );
    expect(report).toMatchObject({
      objective: 0.999,
      threshold_ms: 30_000,
      period_days: 30,
      indicator: 0.999,
      first_attempts: 2_000,
      within_threshold: 1_998,
      error_budget_remaining: 0,
      burn_rate: { '5m': null, '1h': 100, '6h': null, '24h': null },
    });
  });
});
