// A window as a time series for charts: one point per bucket of the plan, oldest first, buckets
// without a rollup row filled with zeros (a chart must not draw a line across a silent hour).
import { percentiles, type Percentiles } from './bucket-percentiles';
import { ATTEMPT_DURATION_BOUNDS_MS, END_TO_END_BOUNDS_MS } from './health-buckets';
import { emptyTotals, outcomeCounts, ratio, type HealthTotals, type OutcomeCounts } from './endpoint-health';
import { bucketStarts, type WindowPlan } from './health-window';

export interface SeriesPoint extends OutcomeCounts {
  at: string;
  success_ratio: number | null;
  attempt_duration_ms: Percentiles;
  end_to_end_ms: Percentiles;
}

export interface BucketTotals {
  bucket: Date;
  totals: HealthTotals;
}

export function seriesPoints(plan: WindowPlan, rows: readonly BucketTotals[]): SeriesPoint[] {
  const byBucket = new Map(rows.map((r) => [r.bucket.getTime(), r.totals]));
  return bucketStarts(plan).map((at) => {
    const t = byBucket.get(at.getTime()) ?? emptyTotals();
    return {
      at: at.toISOString(),
      ...outcomeCounts(t),
      success_ratio: ratio(t.delivered, t.attempts),
      attempt_duration_ms: percentiles(ATTEMPT_DURATION_BOUNDS_MS, t.durationBuckets, t.durationMaxMs),
      end_to_end_ms: percentiles(END_TO_END_BOUNDS_MS, t.e2eBuckets, t.e2eMaxMs),
    };
  });
}
