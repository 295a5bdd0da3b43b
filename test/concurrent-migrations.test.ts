// Instances that start together on an empty schema, on the real Postgres: each runs migrate() on
// its own pool at the same moment, as a deployment's replicas do. All of them must come up, and
// every migration must be applied exactly once.
import type { DataSource } from 'typeorm';
import { createDataSource, migrate } from '../apps/dispatcher/src/database/data-source';
import { MIGRATIONS } from '../apps/dispatcher/src/database/migrations';
import { DATABASE_URL, dropSchema, newSchemaName } from './support/infra';

const INSTANCES = 4;

const schema = newSchemaName();
const dataSources: DataSource[] = [];

afterAll(async () => {
  await Promise.all(dataSources.filter((d) => d.isInitialized).map((d) => d.destroy()));
  await dropSchema(schema);
});

it(`applies every migration once when ${INSTANCES} instances migrate one fresh schema at once`, async () => {
  for (let i = 0; i < INSTANCES; i++) {
    const dataSource = createDataSource({ url: DATABASE_URL, schema });
    await dataSource.initialize();
    dataSources.push(dataSource);
  }

  const results = await Promise.allSettled(dataSources.map((d) => migrate(d, schema)));

  expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  const applied = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  // One instance applied them all (whichever got the lock first); the others found nothing to do.
  const names = MIGRATIONS.map((m) => (new m() as { name: string }).name);
  expect(applied.sort()).toEqual(names.sort());
  const rows = await dataSources[0].query<{ name: string; times: number }[]>(
    `SELECT name, count(*)::int AS times FROM "${schema}".typeorm_migrations GROUP BY name`,
  );
  expect(rows).toHaveLength(MIGRATIONS.length);
  expect(rows.every((r) => r.times === 1)).toBe(true);
});
