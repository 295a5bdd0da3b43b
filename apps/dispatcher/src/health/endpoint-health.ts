// One endpoint's health from its rollup rows summed over a window: rates, ratios, counts by class,
// latency percentiles, and the score that orders endpoints worst first. Pure: rows in, figures out.
import { addBuckets, percentiles, type Percentiles } from './bucket-percentiles';
import {
  ATTEMPT_DURATION_BOUNDS_MS,
  END_TO_END_BOUNDS_MS,
  FIRST_ATTEMPT_WAIT_BOUNDS_MS,
} from './health-buckets';
import { HOUR_MS } from './health-window';

/** The rollup columns that add up: one row, or any number of rows summed. */
export interface HealthTotals {
  attempts: number;
  delivered: number;
  failed: number;
  retried5xx: number;
  throttled: number;
  timeouts: number;
  connectionErrors: number;
  deferredBreaker: number;
  dead: number;
  firstAttempts: number;
  firstAttemptDelivered: number;
  durationBuckets: number[];
  durationSumMs: number;
  durationMaxMs: number | null;
  e2eBuckets: number[];
  e2eCount: number;
  e2eSumMs: number;
  e2eMaxMs: number | null;
  waitBuckets: number[];
  waitCount: number;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
}

export function emptyTotals(): HealthTotals {
  return {
    attempts: 0,
    delivered: 0,
    failed: 0,
    retried5xx: 0,
    throttled: 0,
    timeouts: 0,
    connectionErrors: 0,
    deferredBreaker: 0,
    dead: 0,
    firstAttempts: 0,
    firstAttemptDelivered: 0,
    durationBuckets: [],
    durationSumMs: 0,
    durationMaxMs: null,
    e2eBuckets: [],
    e2eCount: 0,
    e2eSumMs: 0,
    e2eMaxMs: null,
    waitBuckets: [],
    waitCount: 0,
    lastSuccessAt: null,
    lastFailureAt: null,
  };
}

/** Adds `b` into `a` (rows of different buckets of one endpoint, or of many endpoints). */
export function addTotals(a: HealthTotals, b: HealthTotals): HealthTotals {
  return {
    attempts: a.attempts + b.attempts,
    delivered: a.delivered + b.delivered,
    failed: a.failed + b.failed,
    retried5xx: a.retried5xx + b.retried5xx,
    throttled: a.throttled + b.throttled,
    timeouts: a.timeouts + b.timeouts,
    connectionErrors: a.connectionErrors + b.connectionErrors,
    deferredBreaker: a.deferredBreaker + b.deferredBreaker,
    dead: a.dead + b.dead,
    firstAttempts: a.firstAttempts + b.firstAttempts,
    firstAttemptDelivered: a.firstAttemptDelivered + b.firstAttemptDelivered,
    durationBuckets: addBuckets(addBuckets([], a.durationBuckets), b.durationBuckets),
    durationSumMs: a.durationSumMs + b.durationSumMs,
    durationMaxMs: maxOf(a.durationMaxMs, b.durationMaxMs),
    e2eBuckets: addBuckets(addBuckets([], a.e2eBuckets), b.e2eBuckets),
    e2eCount: a.e2eCount + b.e2eCount,
    e2eSumMs: a.e2eSumMs + b.e2eSumMs,
    e2eMaxMs: maxOf(a.e2eMaxMs, b.e2eMaxMs),
    waitBuckets: addBuckets(addBuckets([], a.waitBuckets), b.waitBuckets),
    waitCount: a.waitCount + b.waitCount,
    lastSuccessAt: latest(a.lastSuccessAt, b.lastSuccessAt),
    lastFailureAt: latest(a.lastFailureAt, b.lastFailureAt),
  };
}

export interface OutcomeCounts {
  attempts: number;
  delivered: number;
  /** Non-retriable answers (4xx other than 408/429, redirects) and internal errors. */
  failed: number;
  retried_5xx: number;
  /** 408 and 429. */
  throttled: number;
  timeouts: number;
  connection_errors: number;
  /** Of the attempts, those that were the last one allowed. */
  dead: number;
  /** Not attempts: sent to the retry store because the endpoint's breaker was open. */
  deferred_breaker: number;
  first_attempts: number;
  first_attempt_delivered: number;
}

export interface LatencyFigures extends Percentiles {
  mean: number | null;
  max: number | null;
  count: number;
}

export interface HealthFigures {
  rate: {
    attempts_per_second: number;
    delivered_per_second: number;
    attempts_per_minute: number;
    delivered_per_minute: number;
  };
  /** delivered / attempts; null without attempts. */
  success_ratio: number | null;
  /** first attempts delivered / first attempts; null without first attempts. */
  first_attempt_success_ratio: number | null;
  counts: OutcomeCounts;
  attempt_duration_ms: LatencyFigures;
  end_to_end_ms: LatencyFigures;
  first_attempt_wait_ms: Percentiles & { count: number };
  last_success_at: string | null;
  last_failure_at: string | null;
}

/** The figures of one window's totals; `spanSeconds` is how much time the rows cover. */
export function healthFigures(t: HealthTotals, spanSeconds: number): HealthFigures {
  const perSecond = (n: number) => (spanSeconds > 0 ? round(n / spanSeconds, 4) : 0);
  const perMinute = (n: number) => (spanSeconds > 0 ? round((n * 60) / spanSeconds, 2) : 0);
  const durationCount = t.durationBuckets.reduce((s, c) => s + c, 0);
  return {
    rate: {
      attempts_per_second: perSecond(t.attempts),
      delivered_per_second: perSecond(t.delivered),
      attempts_per_minute: perMinute(t.attempts),
      delivered_per_minute: perMinute(t.delivered),
    },
    success_ratio: ratio(t.delivered, t.attempts),
    first_attempt_success_ratio: ratio(t.firstAttemptDelivered, t.firstAttempts),
    counts: outcomeCounts(t),
    attempt_duration_ms: {
      ...percentiles(ATTEMPT_DURATION_BOUNDS_MS, t.durationBuckets, t.durationMaxMs),
      mean: durationCount > 0 ? round(t.durationSumMs / durationCount, 1) : null,
      max: durationCount > 0 ? t.durationMaxMs : null,
      count: durationCount,
    },
    end_to_end_ms: {
      ...percentiles(END_TO_END_BOUNDS_MS, t.e2eBuckets, t.e2eMaxMs),
      mean: t.e2eCount > 0 ? round(t.e2eSumMs / t.e2eCount, 1) : null,
      max: t.e2eCount > 0 ? t.e2eMaxMs : null,
      count: t.e2eCount,
    },
    first_attempt_wait_ms: {
      ...percentiles(FIRST_ATTEMPT_WAIT_BOUNDS_MS, t.waitBuckets),
      count: t.waitCount,
    },
    last_success_at: t.lastSuccessAt?.toISOString() ?? null,
    last_failure_at: t.lastFailureAt?.toISOString() ?? null,
  };
}

export function outcomeCounts(t: HealthTotals): OutcomeCounts {
  return {
    attempts: t.attempts,
    delivered: t.delivered,
    failed: t.failed,
    retried_5xx: t.retried5xx,
    throttled: t.throttled,
    timeouts: t.timeouts,
    connection_errors: t.connectionErrors,
    dead: t.dead,
    deferred_breaker: t.deferredBreaker,
    first_attempts: t.firstAttempts,
    first_attempt_delivered: t.firstAttemptDelivered,
  };
}

/**
 * The health score, from 0 (worst) to 1, that orders endpoints worst first:
 *
 *   score = (delivered + 1) / (attempts + 1), halved while the breaker is open.
 *
 * The +1 (a Laplace prior leaning healthy) lets volume break what a plain success ratio would tie:
 * an endpoint that failed 500 of 500 attempts (0.002) ranks below one that failed its only attempt
 * (0.5), and an idle endpoint scores 1. An open breaker halves it because deliveries are being held
 * back right now, which attempts in the window may not show yet. Ties go to the endpoint with more
 * failed attempts. The operator view ranks across accounts with the same formula, unrounded, from
 * two summed counts per endpoint (least-healthy.ts); keep the two in step.
 */
export function healthScore(attempts: number, delivered: number, breakerOpen: boolean): number {
  const score = (delivered + 1) / (attempts + 1);
  return round(breakerOpen ? score / 2 : score, 4);
}

/**
 * When an endpoint started failing: the first failure after its last success, or null when its
 * latest outcome is a success (or it has none). The repository finds the first rollup bucket with a
 * failure after the last success in the minute rows and in the hour rows; minute rows are exact to
 * the minute but kept 7 days, so when the hour rows reach further back (an endpoint failing for
 * longer than the minute rows are kept) the hour answer wins.
 */
export function failingSince(
  lastSuccessAt: Date | null,
  lastFailureAt: Date | null,
  firstFailureMinute: Date | null,
  firstFailureHour: Date | null,
): Date | null {
  if (lastFailureAt === null) return null;
  if (lastSuccessAt !== null && lastFailureAt <= lastSuccessAt) return null;
  const after = (d: Date | null) =>
    d === null || lastSuccessAt === null || d > lastSuccessAt ? d : lastSuccessAt;
  const minute = after(firstFailureMinute);
  const hour = after(firstFailureHour);
  if (minute === null) return hour ?? lastFailureAt;
  if (hour === null) return minute;
  return Math.floor(hour.getTime() / HOUR_MS) < Math.floor(minute.getTime() / HOUR_MS) ? hour : minute;
}

/** `part / whole` to four places; null when `whole` is 0. */
export function ratio(part: number, whole: number): number | null {
  return whole > 0 ? round(part / whole, 4) : null;
}

function round(value: number, places: number): number {
  const f = 10 ** places;
  return Math.round(value * f) / f;
}

function maxOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

function latest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}
