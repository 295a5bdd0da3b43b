// The platform's delivery series for the dashboard: every endpoint's rollup rows summed per bucket
// (one statement, a scan of the range's rows grouped by bucket), with the health API's own sums.
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TOTALS, totalsOf, type TotalsRow } from '../health/health-query.repository';
import type { BucketTotals } from '../health/health-series';
import type { RollupTable } from '../health/health-window';

@Injectable()
export class PlatformSeriesRepository {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  /** Per bucket in [from, to], the sums over every endpoint; buckets without rows are absent. */
  async buckets(table: RollupTable, from: Date, to: Date): Promise<BucketTotals[]> {
    // The health API's own sums, grouped by bucket instead of by webhook.
    const rows = await this.db.query<(TotalsRow & { bucket: Date })[]>(
      `SELECT bucket, ${TOTALS}
         FROM ${table} WHERE bucket >= $1 AND bucket <= $2
        GROUP BY bucket ORDER BY bucket`,
      [from, to],
    );
    return rows.map((r) => ({ bucket: r.bucket, totals: totalsOf(r) }));
  }
}
