// The platform's delivery series for the dashboard: every endpoint's rollup rows summed per bucket
// (one statement, a scan of the range's rows grouped by bucket). Only the columns the charts draw.
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { HealthTotals } from '../health/endpoint-health';
import {
  ATTEMPT_DURATION_BOUNDS_MS,
  END_TO_END_BOUNDS_MS,
  FIRST_ATTEMPT_WAIT_BOUNDS_MS,
} from '../health/health-buckets';
import type { BucketTotals } from '../health/health-series';
import type { RollupTable } from '../health/health-window';

/** sum(col[1]), sum(col[2]), … as one float8[]. */
function summed(column: string, buckets: number): string {
  const parts = Array.from({ length: buckets }, (_, i) => `coalesce(sum(${column}[${i + 1}]), 0)`);
  return `ARRAY[${parts.join(', ')}]::float8[]`;
}

const COUNTS = [
  'attempts',
  'delivered',
  'failed',
  'retried_5xx',
  'throttled',
  'timeouts',
  'connection_errors',
  'deferred_breaker',
  'dead',
  'first_attempts',
  'first_attempt_delivered',
  'duration_sum_ms',
  'e2e_count',
  'e2e_sum_ms',
  'wait_count',
] as const;

type Row = Record<(typeof COUNTS)[number], number> & {
  bucket: Date;
  duration_buckets: number[];
  duration_max_ms: number | null;
  e2e_buckets: number[];
  e2e_max_ms: number | null;
  wait_buckets: number[];
  last_success_at: Date | null;
  last_failure_at: Date | null;
};

@Injectable()
export class PlatformSeriesRepository {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  /** Per bucket in [from, to], the sums over every endpoint; buckets without rows are absent. */
  async buckets(table: RollupTable, from: Date, to: Date): Promise<BucketTotals[]> {
    const rows = await this.db.query<Row[]>(
      `SELECT bucket,
              ${COUNTS.map((c) => `coalesce(sum(${c}), 0)::float8 AS ${c}`).join(',\n              ')},
              ${summed('duration_buckets', ATTEMPT_DURATION_BOUNDS_MS.length + 1)} AS duration_buckets,
              max(duration_max_ms)::float8 AS duration_max_ms,
              ${summed('e2e_buckets', END_TO_END_BOUNDS_MS.length + 1)} AS e2e_buckets,
              max(e2e_max_ms)::float8 AS e2e_max_ms,
              ${summed('wait_buckets', FIRST_ATTEMPT_WAIT_BOUNDS_MS.length + 1)} AS wait_buckets,
              max(last_success_at) AS last_success_at, max(last_failure_at) AS last_failure_at
         FROM ${table} WHERE bucket >= $1 AND bucket <= $2
        GROUP BY bucket ORDER BY bucket`,
      [from, to],
    );
    return rows.map((r) => ({
      bucket: r.bucket,
      totals: {
        attempts: r.attempts,
        delivered: r.delivered,
        failed: r.failed,
        retried5xx: r.retried_5xx,
        throttled: r.throttled,
        timeouts: r.timeouts,
        connectionErrors: r.connection_errors,
        deferredBreaker: r.deferred_breaker,
        dead: r.dead,
        firstAttempts: r.first_attempts,
        firstAttemptDelivered: r.first_attempt_delivered,
        durationBuckets: r.duration_buckets,
        durationSumMs: r.duration_sum_ms,
        durationMaxMs: r.duration_max_ms,
        e2eBuckets: r.e2e_buckets,
        e2eCount: r.e2e_count,
        e2eSumMs: r.e2e_sum_ms,
        e2eMaxMs: r.e2e_max_ms,
        waitBuckets: r.wait_buckets,
        waitCount: r.wait_count,
        lastSuccessAt: r.last_success_at,
        lastFailureAt: r.last_failure_at,
      } satisfies HealthTotals,
    }));
  }
}
