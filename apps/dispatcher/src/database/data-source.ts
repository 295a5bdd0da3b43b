// One TypeORM DataSource for the dispatcher: schema by migrations only (synchronize off), and the
// configured schema first on the search_path so tests can isolate themselves in a schema of their own.
import { DataSource } from 'typeorm';
import { MIGRATIONS } from './migrations';
import { ENTITIES } from './entities';

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

/** Creates the schema if needed and applies pending migrations. */
export async function migrate(dataSource: DataSource, schema: string): Promise<string[]> {
  await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return applied.map((m) => m.name);
}
