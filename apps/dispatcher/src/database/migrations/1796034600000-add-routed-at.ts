import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When the dispatcher routed an event to a webhook (`routed_at`), on the attempt or deferral that
 * was the delivery's first dispatch from the stream; deferrals also keep the event's publish time.
 * Publish to routing is the platform's own wait, which the SLO counts (rollups' wait_buckets): the
 * endpoint's lane, breaker and rate limit come after it and are the endpoint's. Nullable, no
 * default: added without rewriting the tables; older rows keep null.
 */
export class AddRoutedAt1796034600000 implements MigrationInterface {
  name = 'AddRoutedAt1796034600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE delivery_attempts ADD COLUMN routed_at timestamptz`);
    await q.query(
      `ALTER TABLE delivery_deferrals ADD COLUMN routed_at timestamptz, ADD COLUMN event_published_at timestamptz`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE delivery_attempts DROP COLUMN routed_at`);
    await q.query(`ALTER TABLE delivery_deferrals DROP COLUMN routed_at, DROP COLUMN event_published_at`);
  }
}
