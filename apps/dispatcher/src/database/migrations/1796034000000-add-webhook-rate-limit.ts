import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A webhook's own request rate limit (docs/decisions/0013-rate-limits.md). Null, what every existing
 * row gets, means the configured default (DELIVERY_ENDPOINT_RATE_LIMIT); the bounds are the API's.
 */
export class AddWebhookRateLimit1796034000000 implements MigrationInterface {
  name = 'AddWebhookRateLimit1796034000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE webhooks ADD COLUMN rate_limit_per_second integer
        CONSTRAINT webhooks_rate_limit_per_second_check CHECK (rate_limit_per_second BETWEEN 1 AND 10000)
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhooks DROP COLUMN rate_limit_per_second`);
  }
}
