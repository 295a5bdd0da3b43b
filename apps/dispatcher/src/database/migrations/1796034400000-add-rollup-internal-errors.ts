import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `internal_errors` in both health rollups: attempts of failure class `internal` (our own faults,
 * not the receiver's), the platform's internal-errors indicator. They are still counted in `failed`
 * too, so the outcome columns keep adding up to `attempts`; this column says how many of `failed`
 * were ours. Rows written before this migration hold 0 (their attempts were not told apart).
 * A constant default adds the column without rewriting the tables.
 */
export class AddRollupInternalErrors1796034400000 implements MigrationInterface {
  name = 'AddRollupInternalErrors1796034400000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['endpoint_health_minute', 'endpoint_health_hour'])
      await q.query(`ALTER TABLE ${table} ADD COLUMN internal_errors integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['endpoint_health_minute', 'endpoint_health_hour'])
      await q.query(`ALTER TABLE ${table} DROP COLUMN internal_errors`);
  }
}
