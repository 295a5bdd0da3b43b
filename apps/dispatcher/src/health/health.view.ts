// The health API's JSON: snake_case, times as ISO-8601, absent figures as null. Pure.
import type { Percentiles } from './bucket-percentiles';
import { healthFigures, type HealthFigures, type HealthTotals, type OutcomeCounts } from './endpoint-health';
import type { SeriesPoint } from './health-series';
import type { SeriesName, WindowName, WindowPlan } from './health-window';
import type { BreakerStatus, PendingRetries, WebhookSummary } from './health-query.repository';
import type { SloReport } from './platform-slo';
import type { LifecycleStatus } from '../lifecycle/lifecycle.store';

export interface WindowView {
  window: WindowName;
  from: string;
  to: string;
  /** Which rollups answered, and their bucket width. */
  resolution: '1m' | '1h';
}

export function windowView(plan: WindowPlan): WindowView {
  return {
    window: plan.window,
    from: plan.from.toISOString(),
    to: plan.to.toISOString(),
    resolution: plan.table === 'endpoint_health_minute' ? '1m' : '1h',
  };
}

/** Everything about an endpoint that is not a sum over the window. */
export interface EndpointState {
  score: number;
  failingSince: Date | null;
  breaker: BreakerStatus | null;
  retries: PendingRetries | null;
  /** The endpoint lifecycle (lifecycle/); absent or null: healthy. */
  lifecycle?: LifecycleStatus | null;
  now: Date;
}

/** Where the endpoint is in its health lifecycle (docs/decisions/0010-endpoint-lifecycle.md). */
export interface LifecycleView {
  state: 'healthy' | 'failing' | 'disabling_soon' | 'disabled';
  consecutive_failures: number;
  /** The first failed attempt of the current run of failures. */
  failing_since: string | null;
  /** When it will be disabled automatically unless an attempt succeeds first. */
  disable_at: string | null;
}

export function lifecycleView(status: LifecycleStatus | null | undefined): LifecycleView {
  return {
    state: status?.state ?? 'healthy',
    consecutive_failures: status?.consecutiveFailures ?? 0,
    failing_since: status?.failingSince?.toISOString() ?? null,
    disable_at: status?.disableAt?.toISOString() ?? null,
  };
}

export interface RetriesView {
  pending: number;
  /** Of those, due now (waiting for the poller). */
  due: number;
  /** Since the oldest pending delivery entered the retry store. */
  oldest_pending_age_ms: number | null;
  /** How long the most overdue one has been due (0 when none is due yet). */
  oldest_due_age_ms: number | null;
}

export interface EndpointHealthView extends WindowView, HealthFigures {
  webhook_id: string;
  account_id: number;
  name: string | null;
  url: string;
  enabled: boolean;
  health_score: number;
  failing_since: string | null;
  breaker: { state: string; since: string | null };
  retries: RetriesView;
  lifecycle: LifecycleView;
}

export interface EndpointSeriesView extends WindowView {
  webhook_id: string;
  account_id: number;
  series: SeriesName;
  points: SeriesPoint[];
}

export interface EndpointListItem {
  webhook_id: string;
  account_id: number;
  name: string | null;
  url: string | null;
  enabled: boolean;
  /** Only in the operator view, for a webhook deleted since its rows were written. */
  deleted?: true;
  health_score: number;
  success_ratio: number | null;
  first_attempt_success_ratio: number | null;
  counts: OutcomeCounts;
  attempt_duration_ms: Percentiles;
  end_to_end_ms: Percentiles;
  last_success_at: string | null;
  last_failure_at: string | null;
  failing_since: string | null;
  breaker_state: string;
  lifecycle: LifecycleView;
  pending_retries: number;
}

export interface AccountHealthView extends WindowView {
  account_id: number;
  webhooks: EndpointListItem[];
}

type Failed = { error: string | null };

export interface PlatformView {
  first_attempt_wait_ms: Percentiles & { count: number };
  slo: SloReport;
  consumer_lag:
    | {
        total_records: number;
        max_seconds: number | null;
        partitions: { topic: string; partition: number; lag_records: number; lag_seconds: number | null }[];
      }
    | Failed;
  projector_lag: { total_records: number; partitions: { partition: number; lag_records: number }[] } | Failed;
  retries: { due: number; oldest_due_age_ms: number | null };
  dead_letters: { in_window: number; retained: number } | Failed;
  internal_errors: { count: number | null; note?: string };
}

export interface OperatorHealthView extends WindowView {
  least_healthy: EndpointListItem[];
  platform: PlatformView;
}

export function endpointHealthView(
  webhook: WebhookSummary,
  plan: WindowPlan,
  totals: HealthTotals,
  state: EndpointState,
  now: Date,
): EndpointHealthView {
  return {
    webhook_id: webhook.id,
    account_id: webhook.accountId,
    name: webhook.name,
    url: webhook.url,
    enabled: webhook.enabled,
    ...windowView(plan),
    health_score: state.score,
    ...healthFigures(totals, plan.spanSeconds),
    failing_since: state.failingSince?.toISOString() ?? null,
    breaker: { state: state.breaker?.state ?? 'closed', since: state.breaker?.since.toISOString() ?? null },
    retries: retriesView(state.retries, now),
    lifecycle: lifecycleView(state.lifecycle),
  };
}

export function endpointListItem(
  webhook: Omit<WebhookSummary, 'url'> & { url: string | null; deleted?: true },
  plan: WindowPlan,
  totals: HealthTotals,
  state: EndpointState,
): EndpointListItem {
  const f = healthFigures(totals, plan.spanSeconds);
  const { p50, p95, p99 } = f.attempt_duration_ms;
  const e2e = f.end_to_end_ms;
  return {
    webhook_id: webhook.id,
    account_id: webhook.accountId,
    name: webhook.name,
    url: webhook.url,
    enabled: webhook.enabled,
    ...(webhook.deleted ? { deleted: true as const } : {}),
    health_score: state.score,
    success_ratio: f.success_ratio,
    first_attempt_success_ratio: f.first_attempt_success_ratio,
    counts: f.counts,
    attempt_duration_ms: { p50, p95, p99 },
    end_to_end_ms: { p50: e2e.p50, p95: e2e.p95, p99: e2e.p99 },
    last_success_at: f.last_success_at,
    last_failure_at: f.last_failure_at,
    failing_since: state.failingSince?.toISOString() ?? null,
    breaker_state: state.breaker?.state ?? 'closed',
    lifecycle: lifecycleView(state.lifecycle),
    pending_retries: state.retries?.pending ?? 0,
  };
}

export function retriesView(retries: PendingRetries | null, now: Date): RetriesView {
  const age = (d: Date | null) => (d === null ? null : Math.max(0, now.getTime() - d.getTime()));
  return {
    pending: retries?.pending ?? 0,
    due: retries?.due ?? 0,
    oldest_pending_age_ms: age(retries?.oldestCreatedAt ?? null),
    oldest_due_age_ms: age(retries?.oldestDueAt ?? null),
  };
}

/** Worst first: lowest score, then more failed attempts, then id (a stable order). */
export function worstFirst(items: readonly EndpointListItem[]): EndpointListItem[] {
  const failures = (i: EndpointListItem) => i.counts.attempts - i.counts.delivered;
  return [...items].sort(
    (a, b) =>
      a.health_score - b.health_score ||
      failures(b) - failures(a) ||
      a.webhook_id.localeCompare(b.webhook_id),
  );
}
