// projection:rebuild against retention, on the real broker and Postgres: once the delivery topic's
// oldest records are deleted (here with deleteTopicRecords, which moves a partition's first offset just
// as retention does), the rebuild refuses and leaves the projection as it was, unless told to
// rebuild from what remains.
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import type { AttemptRecord } from '@vowchat/events';
import { createKafka, ensureTopics, JsonLogger } from '@vowchat/platform';
import { createDataSource, migrate } from '../apps/dispatcher/src/database/data-source';
import { deliveryIdOf } from '../apps/dispatcher/src/delivery/delivery-job';
import { rebuildProjection, type RebuildDeps } from '../apps/dispatcher/src/outcomes/rebuild-projection';
import { HistoryDeletedError } from '../apps/dispatcher/src/outcomes/rebuild-retention';
import { DATABASE_URL, dropSchema, KAFKA_BROKERS, newSchemaName } from './support/infra';
import { uniqueName } from './support/names';

const WEBHOOK = 'cccccccc-0000-4000-8000-000000000003';
const T0 = Date.UTC(2024, 0, 15, 10, 0, 0);

let attempts = 0;
function newAttempt(eventId: string, n: number): AttemptRecord {
  const started = T0 + ++attempts * 60_000;
  return {
    kind: 'attempt',
    attempt_id: `00000000-0000-4000-8000-${String(attempts).padStart(12, '0')}`,
    delivery_id: deliveryIdOf(eventId, WEBHOOK),
    event_id: eventId,
    webhook_id: WEBHOOK,
    account_id: 12,
    event_type: 'message_created',
    attempt: n,
    outcome: 'delivered',
    status_code: 200,
    duration_ms: 30,
    error: null,
    response_body: 'OK',
    next_attempt_at: null,
    started_at: new Date(started).toISOString(),
    finished_at: new Date(started + 30).toISOString(),
    payload: null,
  };
}

const log = new JsonLogger('test', 'error');
const schema = newSchemaName();
const topic = uniqueName('deliveries');
let kafka: Kafka;
let dataSource: DataSource;

beforeAll(async () => {
  dataSource = createDataSource({ url: DATABASE_URL, schema });
  await dataSource.initialize();
  await migrate(dataSource, schema);
  kafka = createKafka(uniqueName('rebuild-retention-test'), KAFKA_BROKERS, log);
  await ensureTopics(kafka, [{ topic, partitions: 2 }]);
});

afterAll(async () => {
  if (dataSource?.isInitialized) await dataSource.destroy();
  await dropSchema(schema);
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

async function countAttempts(): Promise<number> {
  const [{ n }] = await dataSource.query<{ n: number }[]>('SELECT count(*)::int AS n FROM delivery_attempts');
  return n;
}

function rebuild(lines: string[], options: Pick<RebuildDeps, 'allowPartial'> = {}) {
  return rebuildProjection({
    kafka,
    dataSource,
    topic,
    groupIdPrefix: uniqueName('rebuild'),
    log,
    print: (line) => lines.push(line),
    ...options,
  });
}

it('refuses to rebuild once the oldest records are deleted, leaving the projection, unless --allow-partial', async () => {
  const onPartition0 = ['0190f000-0000-7000-8000-00000000000a', '0190f000-0000-7000-8000-00000000000b'];
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({
      topic,
      messages: [
        newAttempt(onPartition0[0], 1),
        newAttempt(onPartition0[1], 1),
        newAttempt('0190f000-0000-7000-8000-00000000000c', 1),
      ].map((a) => ({ partition: 0, key: a.webhook_id, value: JSON.stringify(a) })),
    });
    const onPartition1 = newAttempt('0190f000-0000-7000-8000-00000000000d', 1);
    await producer.send({
      topic,
      messages: [{ partition: 1, key: WEBHOOK, value: JSON.stringify(onPartition1) }],
    });
  } finally {
    await producer.disconnect();
  }

  // The whole history: the rebuild runs as it always has.
  expect(await rebuild([])).toMatchObject({ records: 4, partitions: 2 });
  expect(await countAttempts()).toBe(4);

  // Partition 0's first two records deleted, as retention would.
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.fetchTopicMetadata({ topics: [topic] }); // deleteTopicRecords needs it loaded
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '2' }] });
  } finally {
    await admin.disconnect();
  }

  const refused = await rebuild([]).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(refused).toBeInstanceOf(HistoryDeletedError);
  expect((refused as HistoryDeletedError).truncated).toEqual([{ partition: 0, low: 2n, high: 3n }]);
  expect((refused as Error).message).toContain(`"${topic}"`);
  expect((refused as Error).message).toContain('partition 0 starts at offset 2');
  expect((refused as Error).message).toContain('--allow-partial');
  expect(await countAttempts()).toBe(4);

  const lines: string[] = [];
  expect(await rebuild(lines, { allowPartial: true })).toMatchObject({ records: 2, partitions: 2 });
  expect(lines[0]).toContain('partition 0 from offset 2');
  expect(await countAttempts()).toBe(2);
});
