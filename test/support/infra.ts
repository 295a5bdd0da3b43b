// Where the real infrastructure is, as the test command starts it (scripts/test.sh).
import { Client } from 'pg';
import { uniqueName } from './names';

export const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
export const DATABASE_URL =
  process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/vowchat_webhooks';

/** A fresh Postgres schema name for one test file; drop it with `dropSchema`. */
export function newSchemaName(): string {
  return uniqueName('t').toLowerCase();
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
