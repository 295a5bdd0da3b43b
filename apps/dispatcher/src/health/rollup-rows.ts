// From newly projected attempts and deferrals to the rows of the health rollups
// (endpoint_health_minute / endpoint_health_hour): one row per webhook and minute or hour, counts
// that add up. Pure: the projector calls it with exactly the rows it inserted, so a replayed record
// (already inserted, not returned) is never counted twice. mergeRollups is what the projector's
// upsert does in SQL, column for column.
import type { AttemptOutcome, DeferralReason, FailureClass } from '@vowchat/events';
import {
  ATTEMPT_DURATION_BOUNDS_MS,
  END_TO_END_BOUNDS_MS,
  FIRST_ATTEMPT_WAIT_BOUNDS_MS,
  bucketIndex,
} from './health-buckets';

export type Resolution = 'minute' | 'hour';

export const ROLLUP_TABLES: Readonly<Record<Resolution, string>> = {
  minute: 'endpoint_health_minute',
  hour: 'endpoint_health_hour',
};

const RESOLUTION_MS: Readonly<Record<Resolution, number>> = { minute: 60_000, hour: 3_600_000 };

/** How each column of a rollup row combines with another row of the same webhook and bucket. */
export const ROLLUP_COLUMNS = {
  attempts: 'sum',
  delivered: 'sum',
  failed: 'sum',
  retried_5xx: 'sum',
  throttled: 'sum',
  timeouts: 'sum',
  connection_errors: 'sum',
  internal_errors: 'sum',
  deferred_breaker: 'sum',
  dead: 'sum',
  first_attempts: 'sum',
  first_attempt_delivered: 'sum',
  duration_buckets: 'buckets',
  duration_sum_ms: 'sum',
  duration_max_ms: 'max',
  e2e_buckets: 'buckets',
  e2e_count: 'sum',
  e2e_sum_ms: 'sum',
  e2e_max_ms: 'max',
  wait_buckets: 'buckets',
  wait_count: 'sum',
  last_success_at: 'latest',
  last_failure_at: 'latest',
} as const;

export type RollupColumn = keyof typeof ROLLUP_COLUMNS;
type ColumnsOf<K extends 'sum' | 'buckets' | 'max' | 'latest'> = {
  [C in RollupColumn]: (typeof ROLLUP_COLUMNS)[C] extends K ? C : never;
}[RollupColumn];
type SumColumn = ColumnsOf<'sum'>;
type BucketColumn = ColumnsOf<'buckets'>;
type MaxColumn = ColumnsOf<'max'>;
type LatestColumn = ColumnsOf<'latest'>;

export type RollupRow = { bucket: Date; webhook_id: string; account_id: number } & Record<
  SumColumn | MaxColumn,
  number
> &
  Record<BucketColumn, number[]> &
  Record<LatestColumn, Date | null>;

/** The counter an attempt's outcome goes to: one per attempt, so they add up to `attempts`. */
export type OutcomeColumn =
  'delivered' | 'failed' | 'retried_5xx' | 'throttled' | 'timeouts' | 'connection_errors';

const CLASS_COLUMN: Readonly<Record<FailureClass, OutcomeColumn>> = {
  timeout: 'timeouts',
  connection: 'connection_errors',
  http_4xx: 'failed',
  http_5xx: 'retried_5xx',
  throttled: 'throttled',
  gone: 'failed',
  redirect: 'failed',
  internal: 'failed', // and counted again in internal_errors: how many of failed were our own faults
};

/** What the rollups need of an attempt (a `delivery_attempts` row). */
export interface RollupAttempt {
  webhook_id: string;
  account_id: number;
  attempt: number;
  outcome: AttemptOutcome;
  failure_class: FailureClass | null;
  duration_ms: number;
  started_at: Date;
  finished_at: Date;
  event_published_at: Date | null;
  /** Set when this attempt was the delivery's first dispatch from the stream (the SLO's wait ends there). */
  routed_at: Date | null;
}

/** What the rollups need of a deferral (a `delivery_deferrals` row). */
export interface RollupDeferral {
  webhook_id: string;
  account_id: number;
  reason: DeferralReason;
  at: Date;
  /** Set when this deferral was the delivery's first dispatch from the stream. */
  routed_at: Date | null;
  event_published_at: Date | null;
}

/**
 * Where an attempt is counted. Delivered wins over any class; a failure without a class (which
 * only a hand-made record could carry) is counted as failed rather than lost.
 */
export function outcomeColumn(outcome: AttemptOutcome, failureClass: FailureClass | null): OutcomeColumn {
  if (outcome === 'delivered') return 'delivered';
  return failureClass === null ? 'failed' : CLASS_COLUMN[failureClass];
}

/** The start (UTC) of the minute or hour `time` falls in. */
export function bucketStart(time: Date, resolution: Resolution): Date {
  const ms = time.getTime();
  const width = RESOLUTION_MS[resolution];
  return new Date(ms - (((ms % width) + width) % width));
}

/** A row with nothing counted yet: what the table's column defaults hold. */
export function emptyRollup(webhookId: string, accountId: number, bucket: Date): RollupRow {
  return {
    bucket,
    webhook_id: webhookId,
    account_id: accountId,
    attempts: 0,
    delivered: 0,
    failed: 0,
    retried_5xx: 0,
    throttled: 0,
    timeouts: 0,
    connection_errors: 0,
    internal_errors: 0,
    deferred_breaker: 0,
    dead: 0,
    first_attempts: 0,
    first_attempt_delivered: 0,
    duration_buckets: zeros(ATTEMPT_DURATION_BOUNDS_MS.length + 1),
    duration_sum_ms: 0,
    duration_max_ms: 0,
    e2e_buckets: zeros(END_TO_END_BOUNDS_MS.length + 1),
    e2e_count: 0,
    e2e_sum_ms: 0,
    e2e_max_ms: 0,
    wait_buckets: zeros(FIRST_ATTEMPT_WAIT_BOUNDS_MS.length + 1),
    wait_count: 0,
    last_success_at: null,
    last_failure_at: null,
  };
}

/**
 * One row per webhook and minute for these attempts and deferrals, in (webhook_id, bucket) order
 * (the order the upsert locks them in). An attempt counts in the minute it finished, a deferral in
 * the minute it happened.
 */
export function toMinuteRollups(
  attempts: readonly RollupAttempt[],
  deferrals: readonly RollupDeferral[] = [],
): RollupRow[] {
  const rows = new Map<string, RollupRow>();
  const rowFor = (webhookId: string, accountId: number, at: Date): RollupRow => {
    const bucket = bucketStart(at, 'minute');
    const key = `${webhookId}|${bucket.getTime()}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = emptyRollup(webhookId, accountId, bucket)));
    return row;
  };
  for (const a of attempts) {
    const row = rowFor(a.webhook_id, a.account_id, a.finished_at);
    const delivered = a.outcome === 'delivered';
    row.attempts++;
    row[outcomeColumn(a.outcome, a.failure_class)]++;
    // Also in `failed` (so the outcome columns add up to attempts): how many of those were ours.
    if (a.outcome !== 'delivered' && a.failure_class === 'internal') row.internal_errors++;
    if (a.outcome === 'dead') row.dead++;
    row.duration_buckets[bucketIndex(ATTEMPT_DURATION_BOUNDS_MS, a.duration_ms)]++;
    row.duration_sum_ms += a.duration_ms;
    row.duration_max_ms = Math.max(row.duration_max_ms, a.duration_ms);
    if (delivered) row.last_success_at = latest(row.last_success_at, a.finished_at);
    else row.last_failure_at = latest(row.last_failure_at, a.finished_at);
    const published = a.event_published_at?.getTime();
    if (a.attempt === 1) {
      row.first_attempts++;
      if (delivered) row.first_attempt_delivered++;
    }
    // The platform's wait (publish to routing), once per delivery: on its first dispatch from the
    // stream, be it this attempt or a deferral (below). Waits in the endpoint's lane, behind its
    // breaker or its rate limit are the endpoint's, not the platform's (the SLO's definition).
    if (a.routed_at !== null && published !== undefined) countWait(row, a.routed_at, published);
    if (delivered && published !== undefined) {
      const e2eMs = Math.max(0, a.finished_at.getTime() - published);
      row.e2e_buckets[bucketIndex(END_TO_END_BOUNDS_MS, e2eMs)]++;
      row.e2e_count++;
      row.e2e_sum_ms += e2eMs;
      row.e2e_max_ms = Math.max(row.e2e_max_ms, e2eMs);
    }
  }
  for (const d of deferrals) {
    // A full endpoint lane is the platform's back-pressure, not the endpoint's health: kept raw only.
    if (d.reason === 'breaker_open') rowFor(d.webhook_id, d.account_id, d.at).deferred_breaker++;
    const published = d.event_published_at?.getTime();
    if (d.routed_at !== null && published !== undefined)
      countWait(rowFor(d.webhook_id, d.account_id, d.at), d.routed_at, published);
  }
  return sorted([...rows.values()]);
}

/** Counts one first dispatch's wait; the producer's clock stamps the record, so a skew is not negative time. */
function countWait(row: RollupRow, routedAt: Date, publishedMs: number): void {
  const waitMs = Math.max(0, routedAt.getTime() - publishedMs);
  row.wait_buckets[bucketIndex(FIRST_ATTEMPT_WAIT_BOUNDS_MS, waitMs)]++;
  row.wait_count++;
}

/** The hour rows that the minute rows add up to, in (webhook_id, bucket) order. */
export function toHourRollups(minuteRows: readonly RollupRow[]): RollupRow[] {
  const rows = new Map<string, RollupRow>();
  for (const minute of minuteRows) {
    const bucket = bucketStart(minute.bucket, 'hour');
    const key = `${minute.webhook_id}|${bucket.getTime()}`;
    const known = rows.get(key);
    rows.set(key, mergeRollups(known ?? emptyRollup(minute.webhook_id, minute.account_id, bucket), minute));
  }
  return sorted([...rows.values()]);
}

/** `current` with `next` added: sums and buckets added, maxima and latest times kept. Keeps `current`'s key. */
export function mergeRollups(current: RollupRow, next: RollupRow): RollupRow {
  const merged = { ...current };
  for (const column of Object.keys(ROLLUP_COLUMNS) as RollupColumn[]) {
    switch (ROLLUP_COLUMNS[column]) {
      case 'sum':
        merged[column as SumColumn] = current[column as SumColumn] + next[column as SumColumn];
        break;
      case 'buckets': {
        const c = column as BucketColumn;
        merged[c] = current[c].map((n, i) => n + (next[c][i] ?? 0));
        break;
      }
      case 'max':
        merged[column as MaxColumn] = Math.max(current[column as MaxColumn], next[column as MaxColumn]);
        break;
      case 'latest':
        merged[column as LatestColumn] = latest(
          current[column as LatestColumn],
          next[column as LatestColumn],
        );
        break;
    }
  }
  return merged;
}

// Records older than this may have had their raw rows pruned already, so their absence from
// delivery_attempts no longer proves they were never counted: an hour of margin covers clock skew
// between the pruning and the projecting instance.
const HORIZON_MARGIN_MS = 3_600_000;

/**
 * The oldest finish time a newly inserted attempt (or deferral) may have and still be counted:
 * replaying records older than the raw retention would count them a second time.
 */
export function rollupHorizon(now: Date, rawRetentionMs: number): Date {
  return new Date(now.getTime() - rawRetentionMs + HORIZON_MARGIN_MS);
}

function latest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return b.getTime() > a.getTime() ? b : a;
}

function zeros(length: number): number[] {
  return new Array<number>(length).fill(0);
}

function sorted(rows: RollupRow[]): RollupRow[] {
  return rows.sort((a, b) =>
    a.webhook_id !== b.webhook_id
      ? a.webhook_id < b.webhook_id
        ? -1
        : 1
      : a.bucket.getTime() - b.bucket.getTime(),
  );
}
