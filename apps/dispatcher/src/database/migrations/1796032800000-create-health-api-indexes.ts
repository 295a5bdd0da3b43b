import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The health API counts each listed webhook's waiting retries and finds the oldest
 * (health-query.repository.ts `pendingRetries`). Without this index that is a scan of the whole retry
 * store, which is largest exactly when an SRE is looking (an outage's backlog).
 */
export class CreateHealthApiIndexes1796032800000 implements MigrationInterface {
  name = 'CreateHealthApiIndexes1796032800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX scheduled_retries_webhook_idx ON scheduled_retries (webhook_id, due_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX scheduled_retries_webhook_idx`);
  }
}
