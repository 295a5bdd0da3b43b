import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issued API tokens (docs/decisions/0014-api-tokens.md): metadata and the SHA-256 of each token,
 * never the token. `account` tokens name their account; `service` tokens have none.
 */
export class CreateApiTokens1796034300000 implements MigrationInterface {
  name = 'CreateApiTokens1796034300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_tokens (
        id uuid PRIMARY KEY,
        scope text NOT NULL CHECK (scope IN ('account', 'service')),
        account_id bigint,
        name text NOT NULL,
        token_sha256 text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
        created_at timestamptz NOT NULL,
        last_used_at timestamptz,
        revoked_at timestamptz,
        CHECK ((scope = 'account') = (account_id IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX api_tokens_account_idx ON api_tokens (account_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_tokens`);
  }
}
