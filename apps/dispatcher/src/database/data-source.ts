// One TypeORM DataSource for the dispatcher: schema by migrations only (synchronize off), and the
// configured schema first on the search_path so tests can isolate themselves in a schema of their own.
import { DataSource } from 'typeorm';
import { MIGRATIONS } from './migrations';
import { ENTITIES } from './entities';
import { migrationLockKey } from './migration-lock';

export function createDataSource(database: { url: string; schema: string }): DataSource {
  return new DataSource({
    type: 'postgres',
    url: database.url,
    schema: database.schema,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    migrationsRun: false,
    extra: { options: `-c search_path=${database.schema}`, max: 10 },
  });
}

/**
 * Creates the schema if needed and applies pending migrations, one instance at a time: the others
 * wait for the advisory lock, then find nothing left to apply.
 */
export async function migrate(dataSource: DataSource, schema: string): Promise<string[]> {
  // A session lock, so it is held on one connection for the whole run (TypeORM runs the migrations
  // on other connections of the pool); it goes with the connection if this process dies.
  const lock = dataSource.createQueryRunner();
  const key = migrationLockKey(schema);
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1::bigint)', [key]);
    try {
      await lock.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
    }
  } finally {
    await lock.release();
  }
}
