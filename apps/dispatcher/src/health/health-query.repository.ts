// Reads behind the health API. Endpoint figures come from the rollup tables only (never the raw
// attempt rows), summed set-based in one statement per question; pending retries are small indexed
// queries on scheduled_retries; breaker states are the latest breaker_state event per webhook.
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { emptyTotals, type HealthTotals } from './endpoint-health';
import {
  ATTEMPT_DURATION_BOUNDS_MS,
  END_TO_END_BOUNDS_MS,
  FIRST_ATTEMPT_WAIT_BOUNDS_MS,
} from './health-buckets';
import type { RollupRange, RollupTable } from './health-window';
import type { RankCounts } from './least-healthy';
import { SLO_GOOD_BUCKETS, type SloCounts } from './platform-slo';

export interface WebhookSummary {
  id: string;
  accountId: number;
  name: string | null;
  url: string;
  enabled: boolean;
}

export interface FailingBounds {
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  firstFailureMinute: Date | null;
  firstFailureHour: Date | null;
}

export interface BreakerStatus {
  state: string;
  since: Date;
}

export interface PlatformSums {
  waitBuckets: number[];
  internalErrors: number;
}

export interface PendingRetries {
  pending: number;
  due: number;
  oldestCreatedAt: Date | null;
  oldestDueAt: Date | null;
}

/** One array column summed bucket by bucket: sum(col[1]), sum(col[2]), … as float8[] (exact below 2^53). */
function summedBuckets(column: string, buckets: number): string {
  const parts = Array.from({ length: buckets }, (_, i) => `coalesce(sum(${column}[${i + 1}]), 0)`);
  return `ARRAY[${parts.join(', ')}]::float8[]`;
}

/** The rollup columns that add up, summed over whatever rows the query groups (`TotalsRow`). */
export const TOTALS = `
  coalesce(sum(attempts), 0)::float8 AS attempts,
  coalesce(sum(delivered), 0)::float8 AS delivered,
  coalesce(sum(failed), 0)::float8 AS failed,
  coalesce(sum(retried_5xx), 0)::float8 AS retried_5xx,
  coalesce(sum(throttled), 0)::float8 AS throttled,
  coalesce(sum(timeouts), 0)::float8 AS timeouts,
  coalesce(sum(connection_errors), 0)::float8 AS connection_errors,
  coalesce(sum(deferred_breaker), 0)::float8 AS deferred_breaker,
  coalesce(sum(dead), 0)::float8 AS dead,
  coalesce(sum(first_attempts), 0)::float8 AS first_attempts,
  coalesce(sum(first_attempt_delivered), 0)::float8 AS first_attempt_delivered,
  ${summedBuckets('duration_buckets', ATTEMPT_DURATION_BOUNDS_MS.length + 1)} AS duration_buckets,
  coalesce(sum(duration_sum_ms), 0)::float8 AS duration_sum_ms,
  max(duration_max_ms)::float8 AS duration_max_ms,
  ${summedBuckets('e2e_buckets', END_TO_END_BOUNDS_MS.length + 1)} AS e2e_buckets,
  coalesce(sum(e2e_count), 0)::float8 AS e2e_count,
  coalesce(sum(e2e_sum_ms), 0)::float8 AS e2e_sum_ms,
  max(e2e_max_ms)::float8 AS e2e_max_ms,
  ${summedBuckets('wait_buckets', FIRST_ATTEMPT_WAIT_BOUNDS_MS.length + 1)} AS wait_buckets,
  coalesce(sum(wait_count), 0)::float8 AS wait_count,
  max(last_success_at) AS last_success_at,
  max(last_failure_at) AS last_failure_at`;

/** A row of `TOTALS`. */
export interface TotalsRow {
  attempts: number;
  delivered: number;
  failed: number;
  retried_5xx: number;
  throttled: number;
  timeouts: number;
  connection_errors: number;
  deferred_breaker: number;
  dead: number;
  first_attempts: number;
  first_attempt_delivered: number;
  duration_buckets: number[];
  duration_sum_ms: number;
  duration_max_ms: number | null;
  e2e_buckets: number[];
  e2e_count: number;
  e2e_sum_ms: number;
  e2e_max_ms: number | null;
  wait_buckets: number[];
  wait_count: number;
  last_success_at: Date | null;
  last_failure_at: Date | null;
}

/** A `TOTALS` row as the health figures' totals. */
export function totalsOf(r: TotalsRow): HealthTotals {
  return {
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
  };
}

// Rows from the window's first bucket up to now; `to` bounds it too so a test clock in the past
// (or a bucket written slightly ahead by a skewed clock) reads the same rows every time.
const IN_RANGE = 'bucket >= $2 AND bucket <= $3';

/**
 * The rows of several ranges (health-window.ts `windowRanges`) as one relation, `filter` applied to
 * each; the ranges' bounds are parameters numbered from `$first`.
 */
function rangesOf(ranges: readonly RollupRange[], columns: string, filter: string, first: number) {
  const sql = ranges
    .map(
      (r, i) =>
        `SELECT ${columns} FROM ${r.table} WHERE ${filter} bucket >= $${first + 2 * i} AND bucket < $${first + 2 * i + 1}`,
    )
    .join(' UNION ALL ');
  return { sql: `(${sql})`, params: ranges.flatMap((r) => [r.from, r.until]) };
}

@Injectable()
export class HealthQueryRepository {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  /** The webhook, only when it belongs to the account (another account's webhook does not exist here). */
  async webhook(accountId: number, webhookId: string): Promise<WebhookSummary | null> {
    const rows = await this.db.query<WebhookRecord[]>(
      'SELECT id, account_id, name, url, enabled FROM webhooks WHERE id = $1 AND account_id = $2',
      [webhookId, accountId],
    );
    return rows.length > 0 ? webhookOf(rows[0]) : null;
  }

  async accountWebhooks(accountId: number): Promise<WebhookSummary[]> {
    const rows = await this.db.query<WebhookRecord[]>(
      'SELECT id, account_id, name, url, enabled FROM webhooks WHERE account_id = $1 ORDER BY created_at, id',
      [accountId],
    );
    return rows.map(webhookOf);
  }

  async webhooksByIds(ids: string[]): Promise<WebhookSummary[]> {
    const rows = await this.db.query<WebhookRecord[]>(
      'SELECT id, account_id, name, url, enabled FROM webhooks WHERE id = ANY($1::uuid[])',
      [ids],
    );
    return rows.map(webhookOf);
  }

  /** One webhook's rows in the range, summed. */
  async webhookTotals(table: RollupTable, webhookId: string, from: Date, to: Date): Promise<HealthTotals> {
    const rows = await this.db.query<TotalsRow[]>(
      `SELECT ${TOTALS} FROM ${table} WHERE webhook_id = $1 AND ${IN_RANGE}`,
      [webhookId, from, to],
    );
    return rows.length > 0 ? totalsOf(rows[0]) : emptyTotals();
  }

  /** One webhook's rows in the range, one per bucket, oldest first (the series; gaps are left to the caller). */
  async webhookBuckets(
    table: RollupTable,
    webhookId: string,
    from: Date,
    to: Date,
  ): Promise<{ bucket: Date; totals: HealthTotals }[]> {
    const rows = await this.db.query<(TotalsRow & { bucket: Date })[]>(
      `SELECT bucket, ${TOTALS} FROM ${table} WHERE webhook_id = $1 AND ${IN_RANGE}
        GROUP BY bucket ORDER BY bucket`,
      [webhookId, from, to],
    );
    return rows.map((r) => ({ bucket: r.bucket, totals: totalsOf(r) }));
  }

  /** Every webhook of an account with rows in the range, summed per webhook ((account_id, bucket) index). */
  async accountTotals(
    table: RollupTable,
    accountId: number,
    from: Date,
    to: Date,
  ): Promise<Map<string, HealthTotals>> {
    const rows = await this.db.query<(TotalsRow & { webhook_id: string })[]>(
      `SELECT webhook_id, ${TOTALS} FROM ${table} WHERE account_id = $1 AND ${IN_RANGE} GROUP BY webhook_id`,
      [accountId, from, to],
    );
    return new Map(rows.map((r) => [r.webhook_id, totalsOf(r)]));
  }

  /** The named webhooks' rows in the ranges, summed per webhook. */
  async totalsByWebhook(ids: string[], ranges: readonly RollupRange[]): Promise<Map<string, HealthTotals>> {
    if (ranges.length === 0) return new Map();
    const rows = rangesOf(ranges, '*', 'webhook_id = ANY($1::uuid[]) AND', 2);
    const totals = await this.db.query<(TotalsRow & { webhook_id: string })[]>(
      `SELECT webhook_id, ${TOTALS} FROM ${rows.sql} r GROUP BY webhook_id`,
      [ids, ...rows.params],
    );
    return new Map(totals.map((r) => [r.webhook_id, totalsOf(r)]));
  }

  /**
   * The two counts the health score needs, summed per webhook over the ranges, for every webhook
   * with rows there: what the operator view ranks (least-healthy.ts). The full figures are read
   * afterwards for the few it keeps.
   */
  async rankCounts(ranges: readonly RollupRange[]): Promise<Map<string, RankCounts>> {
    if (ranges.length === 0) return new Map();
    const rows = rangesOf(ranges, 'webhook_id, account_id, attempts, delivered', '', 1);
    const sums = await this.db.query<{ webhook_id: string; account_id: string; a: number; d: number }[]>(
      `SELECT webhook_id, min(account_id) AS account_id, sum(attempts)::float8 AS a, sum(delivered)::float8 AS d
         FROM ${rows.sql} r GROUP BY webhook_id`,
      rows.params,
    );
    return new Map(
      sums.map((r) => [r.webhook_id, { accountId: Number(r.account_id), attempts: r.a, delivered: r.d }]),
    );
  }

  /**
   * What `failingSince` needs per webhook: its last success and failure over everything kept (hour
   * rows, 35 days), and the first bucket after the last success holding a later failure, in the
   * minute rows and in the hour rows. Only webhooks whose latest outcome is a failure get a row.
   */
  async failingBounds(ids: string[], to: Date): Promise<Map<string, FailingBounds>> {
    const rows = await this.db.query<
      {
        webhook_id: string;
        ls: Date | null;
        lf: Date | null;
        first_minute: Date | null;
        first_hour: Date | null;
      }[]
    >(
      `WITH s AS (
         SELECT webhook_id, max(last_success_at) AS ls, max(last_failure_at) AS lf
           FROM endpoint_health_hour WHERE webhook_id = ANY($1::uuid[]) AND bucket <= $2
          GROUP BY webhook_id)
       SELECT s.webhook_id, s.ls, s.lf,
         (SELECT min(m.bucket) FROM endpoint_health_minute m
           WHERE m.webhook_id = s.webhook_id AND m.bucket >= date_trunc('minute', coalesce(s.ls, '-infinity'))
             AND m.bucket <= $2 AND m.last_failure_at > coalesce(s.ls, '-infinity')) AS first_minute,
         (SELECT min(h.bucket) FROM endpoint_health_hour h
           WHERE h.webhook_id = s.webhook_id AND h.bucket >= date_trunc('hour', coalesce(s.ls, '-infinity'))
             AND h.bucket <= $2 AND h.last_failure_at > coalesce(s.ls, '-infinity')) AS first_hour
         FROM s WHERE s.lf IS NOT NULL AND (s.ls IS NULL OR s.lf > s.ls)`,
      [ids, to],
    );
    return new Map(
      rows.map((r) => [
        r.webhook_id,
        {
          lastSuccessAt: r.ls,
          lastFailureAt: r.lf,
          firstFailureMinute: r.first_minute,
          firstFailureHour: r.first_hour,
        },
      ]),
    );
  }

  /** The latest breaker state of each webhook that ever reported one (closed for the others). */
  async breakerStates(ids: string[]): Promise<Map<string, BreakerStatus>> {
    const rows = await this.db.query<{ webhook_id: string; state: string; at: Date }[]>(
      `SELECT w.id AS webhook_id, b.state, b.at FROM unnest($1::uuid[]) AS w(id)
         JOIN LATERAL (
           SELECT state, at FROM webhook_state_events e
            WHERE e.webhook_id = w.id AND e.kind = 'breaker_state'
            ORDER BY e.at DESC LIMIT 1) b ON true`,
      [ids],
    );
    return new Map(rows.map((r) => [r.webhook_id, { state: r.state, since: r.at }]));
  }

  /** Retries waiting per webhook: how many, how many are due, the oldest (by entry and by due time). */
  async pendingRetries(ids: string[], now: Date): Promise<Map<string, PendingRetries>> {
    const rows = await this.db.query<
      { webhook_id: string; pending: number; due: number; oldest_created: Date; oldest_due: Date }[]
    >(
      `SELECT webhook_id, count(*)::int AS pending, count(*) FILTER (WHERE due_at <= $2)::int AS due,
              min(created_at) AS oldest_created, min(due_at) AS oldest_due
         FROM scheduled_retries WHERE webhook_id = ANY($1::uuid[]) GROUP BY webhook_id`,
      [ids, now],
    );
    return new Map(
      rows.map((r) => [
        r.webhook_id,
        { pending: r.pending, due: r.due, oldestCreatedAt: r.oldest_created, oldestDueAt: r.oldest_due },
      ]),
    );
  }

  /** Across the platform: retries due now and the earliest due time among them (scheduled_retries_due_idx). */
  async dueRetries(now: Date): Promise<{ due: number; oldestDueAt: Date | null }> {
    const rows = await this.db.query<{ due: number; oldest: Date | null }[]>(
      'SELECT count(*)::int AS due, min(due_at) AS oldest FROM scheduled_retries WHERE due_at <= $1',
      [now],
    );
    return { due: rows[0]?.due ?? 0, oldestDueAt: rows[0]?.oldest ?? null };
  }

  /**
   * Platform-wide sums over the ranges (all endpoints): publish-to-first-attempt wait buckets, and
   * attempts that failed by our own fault (failure class internal).
   */
  async platformSums(ranges: readonly RollupRange[]): Promise<PlatformSums> {
    if (ranges.length === 0) return { waitBuckets: [], internalErrors: 0 };
    const rows = rangesOf(ranges, 'wait_buckets, internal_errors', '', 1);
    const sums = await this.db.query<{ wait_buckets: number[]; internal_errors: number }[]>(
      `SELECT ${summedBuckets('wait_buckets', FIRST_ATTEMPT_WAIT_BOUNDS_MS.length + 1)} AS wait_buckets,
              coalesce(sum(internal_errors), 0)::float8 AS internal_errors
         FROM ${rows.sql} r`,
      rows.params,
    );
    return { waitBuckets: sums[0]?.wait_buckets ?? [], internalErrors: sums[0]?.internal_errors ?? 0 };
  }

  /**
   * SLO good/total for several ranges of one table in one scan, each from one of `froms` up to
   * `until` (exclusive; the longest range bounds the scan).
   */
  async sloCounts(table: RollupTable, froms: Date[], until: Date): Promise<SloCounts[]> {
    const good = Array.from(
      { length: SLO_GOOD_BUCKETS },
      (_, i) => `coalesce(wait_buckets[${i + 1}], 0)`,
    ).join(' + ');
    const total = Array.from(
      { length: FIRST_ATTEMPT_WAIT_BOUNDS_MS.length + 1 },
      (_, i) => `coalesce(wait_buckets[${i + 1}], 0)`,
    ).join(' + ');
    const columns = froms
      .map(
        (_, i) =>
          `coalesce(sum(${good}) FILTER (WHERE bucket >= $${i + 2}), 0)::float8 AS good_${i},
           coalesce(sum(${total}) FILTER (WHERE bucket >= $${i + 2}), 0)::float8 AS total_${i}`,
      )
      .join(',\n');
    const earliest = new Date(Math.min(...froms.map((f) => f.getTime())));
    const rows = await this.db.query<Record<string, number>[]>(
      `SELECT ${columns} FROM ${table} WHERE bucket >= $${froms.length + 2} AND bucket < $1`,
      [until, ...froms, earliest],
    );
    return froms.map((_, i) => ({ good: rows[0]?.[`good_${i}`] ?? 0, total: rows[0]?.[`total_${i}`] ?? 0 }));
  }

  /** A trivial round trip through the same pool: the floor under every figure above. */
  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }
}

interface WebhookRecord {
  id: string;
  account_id: string;
  name: string | null;
  url: string;
  enabled: boolean;
}

function webhookOf(r: WebhookRecord): WebhookSummary {
  return { id: r.id, accountId: Number(r.account_id), name: r.name, url: r.url, enabled: r.enabled };
}
