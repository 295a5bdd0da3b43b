// What the health API's query strings accept (window, series, limit) and which rollup table and
// bucket range answer them. Pure: the clock is a parameter.
import { checkWith, closedObject, type Checked } from '@vowchat/events';
import { z } from 'zod';

export const WINDOWS = ['5m', '1h', '24h', '7d'] as const;
export type WindowName = (typeof WINDOWS)[number];
export const SERIES = ['1m', '1h'] as const;
export type SeriesName = (typeof SERIES)[number];

export type RollupTable = 'endpoint_health_minute' | 'endpoint_health_hour';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DEFAULT_WINDOW: WindowName = '1h';
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 200;

const WINDOW_MS: Record<WindowName, number> = {
  '5m': 5 * MINUTE_MS,
  '1h': HOUR_MS,
  '24h': 24 * HOUR_MS,
  '7d': 7 * 24 * HOUR_MS,
};

/**
 * The bucket range that answers a window: the last `length / step` buckets of `table`, the current
 * (partial) one included, so the figures move every minute rather than jumping at bucket edges.
 * Minute rows answer up to 24 h (kept 7 days, exact to the minute); hour rows answer 7 days.
 */
export interface WindowPlan {
  window: WindowName;
  table: RollupTable;
  /** Bucket width of `table`. */
  stepMs: number;
  /** Start of the first bucket counted (inclusive). */
  from: Date;
  /** Now: the end of the current bucket's data. */
  to: Date;
  /** to − from in seconds: the denominator of the rates. */
  spanSeconds: number;
}

export function planWindow(window: WindowName, now: Date): WindowPlan {
  const length = WINDOW_MS[window];
  const stepMs = length <= 24 * HOUR_MS ? MINUTE_MS : HOUR_MS;
  return rangeOf(
    window,
    stepMs === MINUTE_MS ? 'endpoint_health_minute' : 'endpoint_health_hour',
    stepMs,
    length,
    now,
  );
}

/** The plan for a series: the window's range read at the series' step (1m: minute rows, 1h: hour rows). */
export function planSeries(window: WindowName, series: SeriesName, now: Date): WindowPlan {
  const stepMs = series === '1m' ? MINUTE_MS : HOUR_MS;
  return rangeOf(
    window,
    series === '1m' ? 'endpoint_health_minute' : 'endpoint_health_hour',
    stepMs,
    WINDOW_MS[window],
    now,
  );
}

function rangeOf(
  window: WindowName,
  table: RollupTable,
  stepMs: number,
  length: number,
  now: Date,
): WindowPlan {
  const buckets = Math.max(1, Math.ceil(length / stepMs));
  const current = Math.floor(now.getTime() / stepMs) * stepMs;
  const from = current - (buckets - 1) * stepMs;
  return { window, table, stepMs, from: new Date(from), to: now, spanSeconds: (now.getTime() - from) / 1000 };
}

/** Buckets of one rollup table from `from` (inclusive) to `until` (exclusive). */
export interface RollupRange {
  table: RollupTable;
  from: Date;
  until: Date;
}

/**
 * The rows that sum to a window's figures, in fewer rows than `plan.table` alone: the whole hours
 * of a minute-row window come from the hour rows (each hour row is the sum of its minute rows,
 * written by the same upsert), only the partial hours at its edges from minute rows. `finished`
 * holds the hours before the current one, which change only when the projector writes late;
 * `current` holds everything else (the current bucket, and a minute window's leading partial hour).
 * A 24 h window reads 23 hour rows and at most 60 minute rows per webhook instead of 1,440 minute rows.
 */
export function windowRanges(plan: WindowPlan): { finished: RollupRange[]; current: RollupRange[] } {
  const until = new Date(plan.to.getTime() + 1); // buckets up to and including `to`
  const currentHour = Math.floor(plan.to.getTime() / HOUR_MS) * HOUR_MS;
  const firstWholeHour = Math.ceil(plan.from.getTime() / HOUR_MS) * HOUR_MS;
  if (firstWholeHour >= currentHour)
    return { finished: [], current: [{ table: plan.table, from: plan.from, until }] };
  const current: RollupRange[] = [];
  if (plan.from.getTime() < firstWholeHour)
    current.push({ table: plan.table, from: plan.from, until: new Date(firstWholeHour) });
  current.push({ table: plan.table, from: new Date(currentHour), until });
  return {
    finished: [
      { table: 'endpoint_health_hour', from: new Date(firstWholeHour), until: new Date(currentHour) },
    ],
    current,
  };
}

/** Start of every bucket of the plan, oldest first (the points of a series, gaps included). */
export function bucketStarts(plan: WindowPlan): Date[] {
  const starts: Date[] = [];
  for (let t = plan.from.getTime(); t <= plan.to.getTime(); t += plan.stepMs) starts.push(new Date(t));
  return starts;
}

export interface EndpointHealthQuery {
  window: WindowName;
  series: SeriesName | null;
}

export interface OperatorHealthQuery {
  window: WindowName;
  limit: number;
}

export type ParsedQuery<T> = Checked<T>;

/** A query parameter from `allowed`, given once; `null` when absent. */
const choice = <const T extends readonly [string, ...string[]]>(name: string, allowed: T) =>
  z
    .enum(allowed, {
      error: (issue) =>
        typeof issue.input === 'string'
          ? `${name} must be one of ${allowed.join(', ')}, got "${issue.input}"`
          : `${name} may be given once`,
    })
    .optional();

const limitMessage = (issue: { input?: unknown }) =>
  typeof issue.input === 'string'
    ? `limit must be an integer from 1 to ${MAX_LIMIT}, got "${issue.input}"`
    : 'limit may be given once';

const params = <Shape extends z.ZodRawShape>(shape: Shape) =>
  closedObject(shape, {
    unknown: `unknown query parameter {key}; this route takes ${Object.keys(shape).join(', ')}`,
    notObject: 'the query must be parameters',
  });

/** `?window=5m|1h|24h|7d&series=1m|1h` of one webhook's health. */
export const endpointHealthQuerySchema = params({
  window: choice('window', WINDOWS),
  series: choice('series', SERIES),
})
  // 1m points over 7 days would be 10,080 of them from a table that keeps exactly 7 days.
  .refine((q) => !(q.series === '1m' && q.window === '7d'), {
    path: ['series'],
    message: 'series=1m goes up to window=24h; use series=1h for window=7d',
  })
  .refine((q) => !(q.series === '1h' && q.window === '5m'), {
    path: ['series'],
    message: 'series=1h needs a window of 1h or more; use series=1m for window=5m',
  });

/** `?window=` of an account's health. */
export const accountHealthQuerySchema = params({ window: choice('window', WINDOWS) });

/** `?window=&limit=N` of the operator view. */
export const operatorHealthQuerySchema = params({
  window: choice('window', WINDOWS),
  limit: z
    .string({ error: limitMessage })
    .regex(/^\d{1,4}$/, { error: limitMessage })
    .refine((v) => Number(v) >= 1 && Number(v) <= MAX_LIMIT, { error: limitMessage })
    .optional(),
});

export function parseEndpointHealthQuery(query: RawQuery): ParsedQuery<EndpointHealthQuery> {
  const parsed = checkWith(endpointHealthQuerySchema, query);
  if (!parsed.ok) return parsed;
  return {
    ok: true,
    value: { window: parsed.value.window ?? DEFAULT_WINDOW, series: parsed.value.series ?? null },
  };
}

export function parseAccountHealthQuery(query: RawQuery): ParsedQuery<{ window: WindowName }> {
  const parsed = checkWith(accountHealthQuerySchema, query);
  return parsed.ok ? { ok: true, value: { window: parsed.value.window ?? DEFAULT_WINDOW } } : parsed;
}

export function parseOperatorHealthQuery(query: RawQuery): ParsedQuery<OperatorHealthQuery> {
  const parsed = checkWith(operatorHealthQuerySchema, query);
  if (!parsed.ok) return parsed;
  const { window, limit } = parsed.value;
  return {
    ok: true,
    value: { window: window ?? DEFAULT_WINDOW, limit: limit === undefined ? DEFAULT_LIMIT : Number(limit) },
  };
}

type RawQuery = Record<string, unknown>;
