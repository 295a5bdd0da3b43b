// The Postgres advisory lock that serialises migrations: instances starting together on an empty
// schema would otherwise all create the schema, TypeORM's migrations table and the same tables at
// once, and all but one fail on duplicates. One key per schema, so tests (a schema each) and
// deployments sharing a database never wait on one another's migrations.
import { createHash } from 'node:crypto';

/** The advisory lock key (a signed 64-bit integer, as text) guarding migrations of `schema`. */
export function migrationLockKey(schema: string): string {
  return createHash('sha256')
    .update(`vowchat-webhooks:migrations:${schema}`)
    .digest()
    .readBigInt64BE(0)
    .toString();
}
