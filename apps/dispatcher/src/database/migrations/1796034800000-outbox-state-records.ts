import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Enable/disable records through the outbox (docs/decisions/0021-outbox-and-retention.md).
 * `webhook_outbox.kind` says where a row goes: `webhook_change` to the compacted webhooks topic
 * (every row before this, and the default), `webhook_state` to the delivery topic; one state row per
 * webhook version. `webhook_state_events.record_id` is the record's own id when it has one (a
 * webhook_state's `state_id`, a lifecycle transition's `transition_id`), so a record published
 * twice is written once; null for breaker records and records written before ids existed, which
 * stay keyed by their position alone. Both tables are small: the index builds are brief.
 */
export class OutboxStateRecords1796034800000 implements MigrationInterface {
  name = 'OutboxStateRecords1796034800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE webhook_outbox ADD COLUMN kind text NOT NULL DEFAULT 'webhook_change'
        CONSTRAINT webhook_outbox_kind_check CHECK (kind IN ('webhook_change', 'webhook_state'))`);
    await q.query(
      `CREATE UNIQUE INDEX webhook_outbox_state_idx ON webhook_outbox (webhook_id, version) WHERE kind = 'webhook_state'`,
    );
    await q.query(`ALTER TABLE webhook_state_events ADD COLUMN record_id uuid`);
    await q.query(
      `CREATE UNIQUE INDEX webhook_state_events_record_idx ON webhook_state_events (record_id) WHERE record_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX webhook_state_events_record_idx`);
    await q.query(`ALTER TABLE webhook_state_events DROP COLUMN record_id`);
    await q.query(`DELETE FROM webhook_outbox WHERE kind <> 'webhook_change'`);
    await q.query(`DROP INDEX webhook_outbox_state_idx`);
    await q.query(`ALTER TABLE webhook_outbox DROP COLUMN kind`);
  }
}
