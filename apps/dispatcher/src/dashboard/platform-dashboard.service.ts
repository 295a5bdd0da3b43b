// The dashboard's platform view over a range: the delivery series of every endpoint summed per
// bucket (rates by outcome, success ratio, latency percentiles, the SLO's share per bucket), the
// figures over the whole range, and the gauge history. Kept for a few seconds per range, so a wall
// screen and several laptops refreshing every 5 s cost one read.
import { Inject, Injectable } from '@nestjs/common';
import { addTotals, emptyTotals, healthFigures, type HealthFigures } from '../health/endpoint-health';
import { seriesPoints, type SeriesPoint } from '../health/health-series';
import { windowView, type WindowView } from '../health/health.view';
import { sloCounts, sloIndicator } from '../health/platform-slo';
import { CLOCK, type Clock } from '../tokens';
import { planRange, rangeSpec, type RangeName } from './dashboard-range';
import { GaugeSampler } from './gauge-sampler';
import type { GaugeSample } from './gauge-history';
import { PlatformSeriesRepository } from './platform-series.repository';

const CACHE_MS = 3_000;

export interface PlatformPoint extends SeriesPoint {
  /** First attempts in the bucket, and how many came within the SLO's threshold. */
  slo_total: number;
  slo_good: number;
  /** slo_good / slo_total; null without first attempts. */
  slo_ratio: number | null;
}

export interface GaugePoint extends Omit<GaugeSample, 'at'> {
  at: string;
}

export interface PlatformDashboardView extends WindowView {
  range: RangeName;
  /** Over the whole range (every endpoint): the same figures as one endpoint's health. */
  totals: HealthFigures;
  points: PlatformPoint[];
  gauges: {
    /** This instance's sample period, and since when it has samples (a restart forgets them). */
    sample_ms: number;
    step_ms: number;
    since: string | null;
    latest: GaugePoint | null;
    points: GaugePoint[];
  };
}

@Injectable()
export class PlatformDashboardService {
  private readonly cache = new Map<RangeName, { at: number; view: Promise<PlatformDashboardView> }>();

  constructor(
    private readonly series: PlatformSeriesRepository,
    private readonly sampler: GaugeSampler,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  view(range: RangeName): Promise<PlatformDashboardView> {
    const now = this.clock.now().getTime();
    const cached = this.cache.get(range);
    if (cached && now - cached.at < CACHE_MS) return cached.view;
    const view = this.read(range);
    this.cache.set(range, { at: now, view });
    view.catch(() => this.cache.delete(range)); // a failed read is not kept
    return view;
  }

  private async read(range: RangeName): Promise<PlatformDashboardView> {
    const now = this.clock.now();
    const plan = planRange(range, now);
    const rows = await this.series.buckets(plan.table, plan.from, plan.to);
    const byBucket = new Map(rows.map((r) => [r.bucket.getTime(), r.totals]));
    const points = seriesPoints(plan, rows).map((p): PlatformPoint => {
      const slo = sloCounts(byBucket.get(Date.parse(p.at))?.waitBuckets ?? []);
      const ratio = sloIndicator(slo);
      return {
        ...p,
        slo_total: slo.total,
        slo_good: slo.good,
        slo_ratio: ratio === null ? null : Math.round(ratio * 1e6) / 1e6,
      };
    });
    const total = rows.reduce((sum, r) => addTotals(sum, r.totals), emptyTotals());
    const { gaugeStepMs } = rangeSpec(range);
    const history = this.sampler.history;
    const since = history.since;
    const latest = history.latest;
    return {
      range,
      ...windowView(plan),
      totals: healthFigures(total, plan.spanSeconds),
      points,
      gauges: {
        sample_ms: this.sampler.sampleMs,
        step_ms: gaugeStepMs,
        since: since === null ? null : new Date(since).toISOString(),
        latest: latest && gaugePoint(latest),
        points: history.points(plan.from.getTime(), gaugeStepMs).map(gaugePoint),
      },
    };
  }
}

function gaugePoint(s: GaugeSample): GaugePoint {
  return { ...s, at: new Date(s.at).toISOString() };
}
