import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Endpoint health (issue 10; docs/decisions/0008-health-rollups.md).
 *
 * - `delivery_attempts` gains `failure_class` (timeout, connection, http_4xx, http_5xx, throttled,
 *   gone, redirect, internal; null when delivered) and `event_published_at` (the source event's
 *   Kafka timestamp; null for API redeliveries and for attempts recorded before this migration).
 * - `scheduled_retries` gains `published_at`, so a retried delivery keeps its publish time.
 * - `delivery_deferrals`: deliveries put off without an attempt (open breaker, full endpoint lane),
 *   keyed by the record's `deferral_id` so a replayed record is counted once.
 * - `endpoint_health_minute` and `endpoint_health_hour`: per (webhook, minute/hour start in UTC)
 *   counts, a projection of the delivery topic written by the outcome projector. Outcome columns
 *   count attempts by failure class, so delivered + failed + retried_5xx + throttled + timeouts +
 *   connection_errors = attempts; `failed` is http_4xx, gone, redirect and internal; `dead`
 *   counts attempts whose outcome was dead, which are also in their class's column;
 *   `deferred_breaker` counts deferrals (not attempts) by an open breaker. The `*_buckets` arrays
 *   hold one count per bound of apps/dispatcher/src/health/health-buckets.ts plus one "above every
 *   bound" (lengths 10, 19 and 11, checked). `e2e_*` cover delivered attempts with a known publish
 *   time, `wait_*` first attempts with one (publish to attempt start).
 * - `health_add_buckets(int[], int[])` adds bucket arrays element-wise (the projector's upsert);
 *   the aggregate `health_sum_buckets(int[]) -> bigint[]` sums them over rows, for readers.
 * - Indexes on `delivery_attempts (finished_at)` and `deliveries (last_attempt_at)` serve the
 *   retention pruner's batched deletes.
 */
export class CreateHealthRollups1796032700000 implements MigrationInterface {
  name = 'CreateHealthRollups1796032700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE delivery_attempts ADD COLUMN failure_class text, ADD COLUMN event_published_at timestamptz`,
    );
    await q.query(`CREATE INDEX delivery_attempts_finished_idx ON delivery_attempts (finished_at)`);
    await q.query(`CREATE INDEX deliveries_last_attempt_idx ON deliveries (last_attempt_at)`);
    await q.query(`ALTER TABLE scheduled_retries ADD COLUMN published_at timestamptz`);
    await q.query(`
      CREATE TABLE delivery_deferrals (
        deferral_id uuid PRIMARY KEY,
        delivery_id uuid NOT NULL,
        webhook_id uuid NOT NULL,
        account_id bigint NOT NULL,
        event_type text NOT NULL,
        attempt integer NOT NULL,
        reason text NOT NULL,
        at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX delivery_deferrals_at_idx ON delivery_deferrals (at)`);
    await q.query(`
      CREATE FUNCTION health_add_buckets(a integer[], b integer[]) RETURNS integer[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
      $$ SELECT array_agg(COALESCE(x, 0) + COALESCE(y, 0) ORDER BY i)
           FROM unnest(a, b) WITH ORDINALITY AS u(x, y, i) $$`);
    await q.query(`
      CREATE FUNCTION health_sum_buckets_step(acc bigint[], b integer[]) RETURNS bigint[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
      $$ SELECT CASE WHEN b IS NULL THEN acc
                     WHEN acc IS NULL THEN b::bigint[]
                     ELSE (SELECT array_agg(COALESCE(x, 0) + COALESCE(y, 0) ORDER BY i)
                             FROM unnest(acc, b) WITH ORDINALITY AS u(x, y, i)) END $$`);
    await q.query(
      `CREATE AGGREGATE health_sum_buckets(integer[]) (SFUNC = health_sum_buckets_step, STYPE = bigint[])`,
    );
    for (const table of ['endpoint_health_minute', 'endpoint_health_hour']) {
      // Rows are updated by every projector batch of their minute: room for HOT updates.
      await q.query(`
        CREATE TABLE ${table} (
          bucket timestamptz NOT NULL,
          webhook_id uuid NOT NULL,
          account_id bigint NOT NULL,
          attempts integer NOT NULL DEFAULT 0,
          delivered integer NOT NULL DEFAULT 0,
          failed integer NOT NULL DEFAULT 0,
          retried_5xx integer NOT NULL DEFAULT 0,
          throttled integer NOT NULL DEFAULT 0,
          timeouts integer NOT NULL DEFAULT 0,
          connection_errors integer NOT NULL DEFAULT 0,
          deferred_breaker integer NOT NULL DEFAULT 0,
          dead integer NOT NULL DEFAULT 0,
          first_attempts integer NOT NULL DEFAULT 0,
          first_attempt_delivered integer NOT NULL DEFAULT 0,
          duration_buckets integer[] NOT NULL DEFAULT ${zeros(10)} CHECK (cardinality(duration_buckets) = 10),
          duration_sum_ms bigint NOT NULL DEFAULT 0,
          duration_max_ms integer NOT NULL DEFAULT 0,
          e2e_buckets integer[] NOT NULL DEFAULT ${zeros(19)} CHECK (cardinality(e2e_buckets) = 19),
          e2e_count integer NOT NULL DEFAULT 0,
          e2e_sum_ms bigint NOT NULL DEFAULT 0,
          e2e_max_ms bigint NOT NULL DEFAULT 0,
          wait_buckets integer[] NOT NULL DEFAULT ${zeros(11)} CHECK (cardinality(wait_buckets) = 11),
          wait_count integer NOT NULL DEFAULT 0,
          last_success_at timestamptz,
          last_failure_at timestamptz,
          PRIMARY KEY (webhook_id, bucket)
        ) WITH (fillfactor = 70)`);
      await q.query(`CREATE INDEX ${table}_bucket_idx ON ${table} (bucket)`);
      await q.query(`CREATE INDEX ${table}_account_idx ON ${table} (account_id, bucket)`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE endpoint_health_hour`);
    await q.query(`DROP TABLE endpoint_health_minute`);
    await q.query(`DROP AGGREGATE health_sum_buckets(integer[])`);
    await q.query(`DROP FUNCTION health_sum_buckets_step(bigint[], integer[])`);
    await q.query(`DROP FUNCTION health_add_buckets(integer[], integer[])`);
    await q.query(`DROP TABLE delivery_deferrals`);
    await q.query(`ALTER TABLE scheduled_retries DROP COLUMN published_at`);
    await q.query(`DROP INDEX deliveries_last_attempt_idx`);
    await q.query(`DROP INDEX delivery_attempts_finished_idx`);
    await q.query(`ALTER TABLE delivery_attempts DROP COLUMN failure_class, DROP COLUMN event_published_at`);
  }
}

// Written out, not derived from health-buckets.ts: a shipped migration must not change with the code.
function zeros(length: number): string {
  return `'{${new Array<string>(length).fill('0').join(',')}}'::integer[]`;
}
