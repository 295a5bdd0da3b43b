import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The webhook changes not yet known to be on the compacted webhooks topic
 * (docs/decisions/0021-outbox-and-retention.md): written in the transaction that changes the
 * webhook, deleted once published. `record_value` is the topic's record, its secrets sealed.
 * `created_at` is the database's clock, so every instance's relay ages rows by one clock.
 */
export class CreateWebhookOutbox1796034700000 implements MigrationInterface {
  name = 'CreateWebhookOutbox1796034700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_outbox (
        seq bigserial PRIMARY KEY,
        webhook_id uuid NOT NULL,
        version integer NOT NULL,
        record_key text NOT NULL,
        record_value text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webhook_outbox_webhook_idx ON webhook_outbox (webhook_id, version)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_outbox`);
  }
}
