// The dashboard's time ranges and what answers each: the rollup table and bucket width of the
// platform series, the health API window of the figures beside it, and the gauge history's step.
// Pure: the clock is a parameter.
import { checkWith, closedObject, type Checked } from '@vowchat/events';
import { z } from 'zod';
import { HOUR_MS, MINUTE_MS, type WindowName, type WindowPlan } from '../health/health-window';

export const RANGES = ['15m', '1h', '24h', '7d'] as const;
export type RangeName = (typeof RANGES)[number];
export const DEFAULT_RANGE: RangeName = '1h';

interface RangeSpec {
  lengthMs: number;
  /** Bucket width of the platform series (minute rows up to a day, hour rows beyond, as the health API). */
  stepMs: number;
  /**
   * The health API window for the figures, the least healthy table and the drill-down: the
   * smallest window that covers the range, so nothing visible on a chart is missing from the table.
   */
  window: WindowName;
  /** Step of the gauge history (breakers, lag, retries), a few hundred to a thousand points. */
  gaugeStepMs: number;
}

const SPECS: Record<RangeName, RangeSpec> = {
  '15m': { lengthMs: 15 * MINUTE_MS, stepMs: MINUTE_MS, window: '1h', gaugeStepMs: 10_000 },
  '1h': { lengthMs: HOUR_MS, stepMs: MINUTE_MS, window: '1h', gaugeStepMs: 10_000 },
  '24h': { lengthMs: 24 * HOUR_MS, stepMs: MINUTE_MS, window: '24h', gaugeStepMs: MINUTE_MS },
  '7d': { lengthMs: 7 * 24 * HOUR_MS, stepMs: HOUR_MS, window: '7d', gaugeStepMs: 10 * MINUTE_MS },
};

export function rangeSpec(range: RangeName): RangeSpec {
  return SPECS[range];
}

/**
 * The buckets of a range: the last `length / step` buckets, the current (partial) one included, as
 * the health API's series do. `window` names the health window shown beside it.
 */
export function planRange(range: RangeName, now: Date): WindowPlan {
  const { lengthMs, stepMs, window } = SPECS[range];
  const buckets = Math.ceil(lengthMs / stepMs);
  const current = Math.floor(now.getTime() / stepMs) * stepMs;
  const from = current - (buckets - 1) * stepMs;
  return {
    window,
    table: stepMs === MINUTE_MS ? 'endpoint_health_minute' : 'endpoint_health_hour',
    stepMs,
    from: new Date(from),
    to: now,
    spanSeconds: (now.getTime() - from) / 1000,
  };
}

export type ParsedRange = Checked<RangeName>;

/** `?range=` of the dashboard's API: one of RANGES, 1h when absent; any other parameter is refused. */
export const rangeQuerySchema = closedObject(
  { range: z.enum(RANGES, { error: `must be one of ${RANGES.join(', ')}` }).optional() },
  { unknown: 'unknown query parameter; the only one is range', notObject: 'the query must be parameters' },
);

export function parseRangeQuery(query: Record<string, unknown>): ParsedRange {
  const parsed = checkWith(rangeQuerySchema, query);
  return parsed.ok ? { ok: true, value: parsed.value.range ?? DEFAULT_RANGE } : parsed;
}
