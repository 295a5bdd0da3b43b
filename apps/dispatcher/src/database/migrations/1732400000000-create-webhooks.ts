import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook endpoints. `version` grows by one on every change so the in-memory registries, fed from
 * the compacted webhooks topic, can ignore a change older than the one they hold.
 */
export class CreateWebhooks1732400000000 implements MigrationInterface {
  name = 'CreateWebhooks1732400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY,
        account_id bigint NOT NULL,
        name text,
        url text NOT NULL,
        subscriptions text[] NOT NULL,
        secret text NOT NULL,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text,
        version integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webhooks_account_idx ON webhooks (account_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhooks`);
  }
}
