// The platform's service-level objective, apart from any endpoint's health: a customer's receiver
// failing is that endpoint's problem; an event waiting long for its first attempt is ours.
//
// SLO: 99.9 % of deliveries (event × subscribed webhook) get their first attempt within 30 s of the
// event's publish (its Kafka timestamp), over a rolling 30 days.
//
// Why this one: the first attempt is the one moment fully in the platform's hands (consume, match,
// queue, connect) whatever the receiver does afterwards, so it measures us and not our customers;
// it is what a customer feels as "webhooks are late"; and 30 s is long against a healthy p99 of
// tens of ms, so only real trouble (consumer lag, a stuck partition, a backlog) spends budget.
// The wait ends where the platform's part ends: when the dispatcher routes the event to the
// webhook (its lane, or the retry store when the endpoint's breaker is open, its lane full or its
// rate limit reached). What the endpoint's own lane, breaker or rate limit adds after that is the
// endpoint's, so a customer's dead endpoint never spends the platform's budget.
// The indicator comes from the rollups' wait_buckets (publish → routing, on each delivery's first
// dispatch), counted per delivery; 30 000 ms is one of FIRST_ATTEMPT_WAIT_BOUNDS_MS, so
// "within 30 s" is exact, not interpolated.
import { FIRST_ATTEMPT_WAIT_BOUNDS_MS } from './health-buckets';

export const SLO = {
  name: 'first attempt within 30 s of publish',
  description: '99.9 % of deliveries get their first attempt within 30 s of the event being published',
  objective: 0.999,
  thresholdMs: 30_000,
  periodDays: 30,
} as const;

/** How many of the wait buckets count as good: every bucket whose upper bound is ≤ the threshold. */
export const SLO_GOOD_BUCKETS = FIRST_ATTEMPT_WAIT_BOUNDS_MS.filter((b) => b <= SLO.thresholdMs).length;
if (FIRST_ATTEMPT_WAIT_BOUNDS_MS[SLO_GOOD_BUCKETS - 1] !== SLO.thresholdMs)
  throw new Error(`the SLO threshold ${SLO.thresholdMs} ms must be one of FIRST_ATTEMPT_WAIT_BOUNDS_MS`);

/** First attempts in some span: how many, and how many within the threshold. */
export interface SloCounts {
  good: number;
  total: number;
}

/** Good and total from summed wait buckets. */
export function sloCounts(waitBuckets: readonly number[]): SloCounts {
  let good = 0;
  let total = 0;
  waitBuckets.forEach((c, i) => {
    total += c;
    if (i < SLO_GOOD_BUCKETS) good += c;
  });
  return { good, total };
}

/** The indicator: the share of first attempts within the threshold; null without any. */
export function sloIndicator({ good, total }: SloCounts): number | null {
  return total > 0 ? good / total : null;
}

/**
 * Share of the period's error budget left: 1 − bad / allowed bad, where allowed bad is
 * (1 − objective) × total. 1 when nothing happened or nothing went wrong; negative when overspent.
 */
export function errorBudgetRemaining({ good, total }: SloCounts): number {
  if (total === 0) return 1;
  const allowed = (1 - SLO.objective) * total;
  return 1 - (total - good) / allowed;
}

/**
 * How fast a window spends the budget: its bad share over the budgeted bad share. 1 spends exactly
 * the budget over the period; 14.4 over an hour spends 2 % of a 30-day budget (the classic page).
 * Null without first attempts in the window.
 */
export function burnRate({ good, total }: SloCounts): number | null {
  if (total === 0) return null;
  return (total - good) / total / (1 - SLO.objective);
}

export const BURN_RATE_WINDOWS = ['5m', '1h', '6h', '24h'] as const;
export type BurnRateWindow = (typeof BURN_RATE_WINDOWS)[number];

export interface SloReport {
  name: string;
  description: string;
  objective: number;
  threshold_ms: number;
  period_days: number;
  /** Over the whole period. */
  indicator: number | null;
  first_attempts: number;
  within_threshold: number;
  error_budget_remaining: number;
  burn_rate: Record<BurnRateWindow, number | null>;
}

export function sloReport(period: SloCounts, windows: Record<BurnRateWindow, SloCounts>): SloReport {
  const round = (v: number | null) => (v === null ? null : Math.round(v * 1e6) / 1e6);
  return {
    name: SLO.name,
    description: SLO.description,
    objective: SLO.objective,
    threshold_ms: SLO.thresholdMs,
    period_days: SLO.periodDays,
    indicator: round(sloIndicator(period)),
    first_attempts: period.total,
    within_threshold: period.good,
    error_budget_remaining: round(errorBudgetRemaining(period))!,
    burn_rate: Object.fromEntries(BURN_RATE_WINDOWS.map((w) => [w, round(burnRate(windows[w]))])) as Record<
      BurnRateWindow,
      number | null
    >,
  };
}
