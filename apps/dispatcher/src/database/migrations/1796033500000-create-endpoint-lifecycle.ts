import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The endpoint health lifecycle (docs/decisions/0010-endpoint-lifecycle.md) and operational webhooks.
 * `endpoint_lifecycle`: each webhook's current lifecycle state, written by the projector's batches
 * and the lifecycle monitor. `endpoint_lifecycle_transitions`: every transition once (by its derived
 * id), an outbox until it is on the delivery topic. `operations_webhooks`: each account's operations
 * URL and secret. `operational_deliveries`: operational webhooks to send, and their retries.
 */
export class CreateEndpointLifecycle1796033500000 implements MigrationInterface {
  name = 'CreateEndpointLifecycle1796033500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE endpoint_lifecycle (
        webhook_id uuid PRIMARY KEY,
        account_id bigint NOT NULL,
        state text NOT NULL,
        consecutive_failures integer NOT NULL,
        failing_since timestamptz,
        last_status_code integer,
        last_error text,
        updated_at timestamptz NOT NULL
      )`);
    // The monitor's look-up: failing endpoints by how long they have been failing.
    await q.query(`
      CREATE INDEX endpoint_lifecycle_failing_idx ON endpoint_lifecycle (failing_since)
        WHERE state IN ('failing', 'disabling_soon')`);
    await q.query(`
      CREATE TABLE endpoint_lifecycle_transitions (
        transition_id uuid PRIMARY KEY,
        webhook_id uuid NOT NULL,
        account_id bigint NOT NULL,
        type text NOT NULL,
        record jsonb NOT NULL,
        at timestamptz NOT NULL,
        published_at timestamptz
      )`);
    await q.query(`
      CREATE INDEX endpoint_lifecycle_transitions_unpublished_idx ON endpoint_lifecycle_transitions (at)
        WHERE published_at IS NULL`);
    await q.query(`
      CREATE TABLE operations_webhooks (
        account_id bigint PRIMARY KEY,
        url text NOT NULL,
        secret text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE operational_deliveries (
        id uuid PRIMARY KEY,
        account_id bigint NOT NULL,
        type text NOT NULL,
        body text NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        due_at timestamptz NOT NULL,
        last_status_code integer,
        last_error text,
        created_at timestamptz NOT NULL,
        finished_at timestamptz
      )`);
    await q.query(`
      CREATE INDEX operational_deliveries_due_idx ON operational_deliveries (due_at) WHERE status = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE operational_deliveries`);
    await q.query(`DROP TABLE operations_webhooks`);
    await q.query(`DROP TABLE endpoint_lifecycle_transitions`);
    await q.query(`DROP TABLE endpoint_lifecycle`);
  }
}
