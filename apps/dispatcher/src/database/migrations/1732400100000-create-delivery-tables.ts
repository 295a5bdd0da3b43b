import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Delivery state. `delivery_attempts`, `deliveries` and `webhook_state_events` are a projection of
 * the delivery topic (rebuilt from it by `rebuild-projection`); `scheduled_retries` is the durable
 * retry store, one row per delivery waiting for its next attempt.
 */
export class CreateDeliveryTables1732400100000 implements MigrationInterface {
  name = 'CreateDeliveryTables1732400100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE delivery_attempts (
        attempt_id uuid PRIMARY KEY,
        delivery_id uuid NOT NULL,
        event_id uuid NOT NULL,
        webhook_id uuid NOT NULL,
        account_id bigint NOT NULL,
        event_type text NOT NULL,
        attempt integer NOT NULL,
        outcome text NOT NULL,
        status_code integer,
        duration_ms integer NOT NULL,
        error text,
        response_body text,
        next_attempt_at timestamptz,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX delivery_attempts_delivery_idx ON delivery_attempts (delivery_id, attempt)`);
    await q.query(
      `CREATE INDEX delivery_attempts_webhook_time_idx ON delivery_attempts (webhook_id, finished_at)`,
    );
    await q.query(`
      CREATE TABLE deliveries (
        delivery_id uuid PRIMARY KEY,
        event_id uuid NOT NULL,
        webhook_id uuid NOT NULL,
        account_id bigint NOT NULL,
        event_type text NOT NULL,
        outcome text NOT NULL,
        attempts integer NOT NULL,
        last_status_code integer,
        last_error text,
        next_attempt_at timestamptz,
        payload text,
        first_attempt_at timestamptz NOT NULL,
        last_attempt_at timestamptz NOT NULL
      )`);
    await q.query(
      `CREATE INDEX deliveries_webhook_time_idx ON deliveries (webhook_id, first_attempt_at DESC, delivery_id)`,
    );
    await q.query(
      `CREATE INDEX deliveries_webhook_outcome_idx ON deliveries (webhook_id, outcome, last_attempt_at)`,
    );
    await q.query(`
      CREATE TABLE webhook_state_events (
        source_partition integer NOT NULL,
        source_offset bigint NOT NULL,
        kind text NOT NULL,
        webhook_id uuid NOT NULL,
        account_id bigint NOT NULL,
        state text NOT NULL,
        reason text,
        at timestamptz NOT NULL,
        PRIMARY KEY (source_partition, source_offset)
      )`);
    await q.query(`CREATE INDEX webhook_state_events_webhook_idx ON webhook_state_events (webhook_id, at)`);
    await q.query(`
      CREATE TABLE scheduled_retries (
        delivery_id uuid PRIMARY KEY,
        event_id uuid NOT NULL,
        webhook_id uuid NOT NULL,
        account_id bigint NOT NULL,
        event_type text NOT NULL,
        attempt integer NOT NULL,
        body text NOT NULL,
        due_at timestamptz NOT NULL,
        leased_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX scheduled_retries_due_idx ON scheduled_retries (due_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE scheduled_retries`);
    await q.query(`DROP TABLE webhook_state_events`);
    await q.query(`DROP TABLE deliveries`);
    await q.query(`DROP TABLE delivery_attempts`);
  }
}
