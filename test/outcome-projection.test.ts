// The Postgres projection of the delivery topic, on the real broker and the real Postgres: attempts
// are written once per attempt id, a delivery's summary is its latest attempt whatever order the
// attempts arrive in, unreadable records are skipped without stopping the stream, and the rebuild
// command replays the topic into exactly the same tables.
import type { Kafka, Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import type {
  AttemptRecord,
  BreakerStateRecord,
  DeliveryTopicRecord,
  WebhookStateRecord,
} from '@vowchat/events';
import { createKafka, ensureTopics, JsonLogger } from '@vowchat/platform';
import { createDataSource, migrate } from '../apps/dispatcher/src/database/data-source';
import { deliveryIdOf } from '../apps/dispatcher/src/delivery/delivery-job';
import { OutcomeProjector, writeProjection } from '../apps/dispatcher/src/outcomes/outcome-projector';
import { toProjectionRows } from '../apps/dispatcher/src/outcomes/projection-rows';
import { rebuildProjection } from '../apps/dispatcher/src/outcomes/rebuild-projection';
import { DATABASE_URL, dropSchema, KAFKA_BROKERS, newSchemaName } from './support/infra';
import { uniqueName } from './support/names';
import { waitFor } from './support/wait-for';

const WEBHOOK_A = 'aaaaaaaa-0000-4000-8000-000000000001';
const WEBHOOK_B = 'bbbbbbbb-0000-4000-8000-000000000002';
const EVENT_1 = '0190f000-0000-7000-8000-000000000001';
const EVENT_2 = '0190f000-0000-7000-8000-000000000002';
const T0 = Date.UTC(2024, 0, 15, 10, 0, 0);

let attemptIds = 0;
function attempt(
  webhookId: string,
  eventId: string,
  n: number,
  overrides: Partial<AttemptRecord> = {},
): AttemptRecord {
  const started = T0 + n * 60_000;
  return {
    kind: 'attempt',
    attempt_id: `00000000-0000-4000-8000-${String(++attemptIds).padStart(12, '0')}`,
    delivery_id: deliveryIdOf(eventId, webhookId),
    event_id: eventId,
    webhook_id: webhookId,
    account_id: 11,
    event_type: 'message_created',
    attempt: n,
    outcome: 'retrying',
    status_code: 503,
    duration_ms: 40 + n,
    error: `HTTP 503 on attempt ${n}`,
    response_body: 'busy',
    next_attempt_at: new Date(started + 30_000).toISOString(),
    started_at: new Date(started).toISOString(),
    finished_at: new Date(started + 40 + n).toISOString(),
    payload: null,
    ...overrides,
  };
}

function breaker(state: BreakerStateRecord['state'], minute: number): BreakerStateRecord {
  return {
    kind: 'breaker_state',
    webhook_id: WEBHOOK_B,
    account_id: 11,
    state,
    at: new Date(T0 + minute * 60_000).toISOString(),
  };
}

const disabledA: WebhookStateRecord = {
  kind: 'webhook_state',
  webhook_id: WEBHOOK_A,
  account_id: 11,
  enabled: false,
  reason: 'endpoint answered 410 Gone',
  at: new Date(T0 + 600_000).toISOString(),
};

// Delivery 1 (event 1 → webhook A) fails twice, then dies on attempt 3.
const a1 = attempt(WEBHOOK_A, EVENT_1, 1);
const a2 = attempt(WEBHOOK_A, EVENT_1, 2);
const a3 = attempt(WEBHOOK_A, EVENT_1, 3, {
  outcome: 'dead',
  status_code: 500,
  error: 'HTTP 500: attempts exhausted',
  next_attempt_at: null,
  payload: '{"event":"message_created","id":"1"}',
});
// Delivery 2 (event 2 → webhook A) is delivered at once; delivery 3 (event 1 → webhook B) is refused.
const b1 = attempt(WEBHOOK_A, EVENT_2, 1, {
  outcome: 'delivered',
  status_code: 200,
  error: null,
  next_attempt_at: null,
  response_body: 'OK',
});
const c1 = attempt(WEBHOOK_B, EVENT_1, 1, {
  outcome: 'failed',
  status_code: 400,
  error: 'HTTP 400',
  next_attempt_at: null,
  payload: '{"event":"message_created","id":"1"}',
});

describe('OutcomeProjector and rebuild-projection', () => {
  const log = new JsonLogger('test', 'error');
  const schema = newSchemaName();
  const topic = uniqueName('deliveries');
  let kafka: Kafka;
  let producer: Producer;
  let dataSource: DataSource;
  let projector: OutcomeProjector;

  async function send(...records: (DeliveryTopicRecord | { key: string; garbage: string })[]): Promise<void> {
    await producer.send({
      topic,
      messages: records.map((r) =>
        'garbage' in r
          ? { key: r.key, value: r.garbage }
          : { key: r.webhook_id, value: JSON.stringify(r), headers: { 'vowchat-record-kind': r.kind } },
      ),
    });
  }

  async function count(table: string): Promise<number> {
    const [{ n }] = await dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table}`);
    return n;
  }

  async function snapshot(): Promise<unknown> {
    return {
      attempts: await dataSource.query('SELECT * FROM delivery_attempts ORDER BY attempt_id'),
      deliveries: await dataSource.query('SELECT * FROM deliveries ORDER BY delivery_id'),
      states: await dataSource.query(
        'SELECT * FROM webhook_state_events ORDER BY source_partition, source_offset',
      ),
    };
  }

  async function delivery(eventId: string, webhookId: string): Promise<Record<string, unknown>> {
    const [row] = await dataSource.query<Record<string, unknown>[]>(
      'SELECT * FROM deliveries WHERE delivery_id = $1',
      [deliveryIdOf(eventId, webhookId)],
    );
    return row;
  }

  beforeAll(async () => {
    dataSource = createDataSource({ url: DATABASE_URL, schema });
    await dataSource.initialize();
    await migrate(dataSource, schema);
    kafka = createKafka(uniqueName('projection-test'), KAFKA_BROKERS, log);
    await ensureTopics(kafka, [{ topic, partitions: 3 }]);
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    projector = new OutcomeProjector({ kafka, dataSource, topic, groupId: uniqueName('projector'), log });
  });

  afterAll(async () => {
    await projector?.stop();
    await producer?.disconnect();
    if (dataSource?.isInitialized) await dataSource.destroy();
    await dropSchema(schema);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('projects attempts once each, keeps the latest attempt per delivery, skips unreadable records', async () => {
    // Garbage sits between good records; delivery 1 starts with its second attempt.
    await send({ key: WEBHOOK_A, garbage: 'not json{' }, a2, b1, breaker('open', 1));
    await send({ key: WEBHOOK_B, garbage: '{"kind":"mystery"}' }, c1, disabledA);
    await projector.start();
    await waitFor(
      'the first records',
      async () => (await count('delivery_attempts')) === 3 && (await count('webhook_state_events')) === 2,
    );
    expect(await delivery(EVENT_1, WEBHOOK_A)).toMatchObject({ outcome: 'retrying', attempts: 2 });

    // A newer attempt replaces the summary...
    await send(a3, breaker('half_open', 2));
    await waitFor(
      'the newer attempt',
      async () => (await count('delivery_attempts')) === 4 && (await count('webhook_state_events')) === 3,
    );
    expect(await delivery(EVENT_1, WEBHOOK_A)).toMatchObject({ outcome: 'dead', attempts: 3 });

    // ...an older one arriving late, and a replayed one (same attempt id), do not.
    await send(a2, a1, breaker('closed', 3));
    await waitFor(
      'the late records',
      async () => (await count('delivery_attempts')) === 5 && (await count('webhook_state_events')) === 4,
    );
    await waitFor('projector stats to catch up', () => projector.stats.projected === 10);

    expect(projector.stats).toEqual({ projected: 10, skipped: 2 });
    const ids = await dataSource.query<
      {
        attempt_id: string;
      }[]
    >('SELECT attempt_id FROM delivery_attempts ORDER BY attempt_id');
    expect(ids.map((r) => r.attempt_id)).toEqual([a1, a2, a3, b1, c1].map((a) => a.attempt_id).sort());
    expect(await delivery(EVENT_1, WEBHOOK_A)).toEqual({
      delivery_id: deliveryIdOf(EVENT_1, WEBHOOK_A),
      event_id: EVENT_1,
      webhook_id: WEBHOOK_A,
      account_id: '11',
      event_type: 'message_created',
      outcome: 'dead',
      attempts: 3,
      last_status_code: 500,
      last_error: 'HTTP 500: attempts exhausted',
      next_attempt_at: null,
      payload: a3.payload,
      first_attempt_at: new Date(a1.started_at),
      last_attempt_at: new Date(a3.finished_at),
    });
    expect(await delivery(EVENT_2, WEBHOOK_A)).toMatchObject({
      outcome: 'delivered',
      attempts: 1,
      last_status_code: 200,
      payload: null,
    });
    expect(await delivery(EVENT_1, WEBHOOK_B)).toMatchObject({
      outcome: 'failed',
      attempts: 1,
      last_status_code: 400,
      payload: c1.payload,
    });
    const states = await dataSource.query<unknown[]>(
      'SELECT kind, webhook_id, state, reason FROM webhook_state_events ORDER BY at',
    );
    expect(states).toEqual([
      { kind: 'breaker_state', webhook_id: WEBHOOK_B, state: 'open', reason: null },
      { kind: 'breaker_state', webhook_id: WEBHOOK_B, state: 'half_open', reason: null },
      { kind: 'breaker_state', webhook_id: WEBHOOK_B, state: 'closed', reason: null },
      {
        kind: 'webhook_state',
        webhook_id: WEBHOOK_A,
        state: 'disabled',
        reason: 'endpoint answered 410 Gone',
      },
    ]);
  });

  it('rebuilds exactly the same tables from the topic, dropping rows the topic does not hold', async () => {
    await projector.stop();
    const before = await snapshot();
    const stray = attempt(WEBHOOK_A, EVENT_2, 7);
    await dataSource.query(
      `INSERT INTO delivery_attempts (attempt_id, delivery_id, event_id, webhook_id, account_id, event_type, attempt, outcome,
         duration_ms, started_at, finished_at) VALUES ($1, $2, $3, $4, 11, 'message_created', 7, 'retrying', 1, now(), now())`,
      [stray.attempt_id, stray.delivery_id, stray.event_id, stray.webhook_id],
    );
    await dataSource.query(`UPDATE deliveries SET outcome = 'delivered'`);

    const lines: string[] = [];
    const summary = await rebuildProjection({
      kafka,
      dataSource,
      topic,
      groupIdPrefix: uniqueName('projector'),
      log,
      print: (line) => lines.push(line),
      progressEveryMs: 50,
    });

    expect(await snapshot()).toEqual(before);
    expect(summary).toMatchObject({ topic, partitions: 3, records: 12, skipped: 2 });
    expect(lines).toContain('rebuild-projection: 12/12 records (100%)');
    expect(lines[lines.length - 1]).toMatch(
      /^rebuild-projection: done in [\d.]+ s: 12 records replayed \(2 unreadable, skipped\), 5 attempts, 3 deliveries, 4 state events$/,
    );
  });

  it('writes the raw rows but folds no rollups when rollups are off (HEALTH_ROLLUPS_ENABLED=false)', async () => {
    const before = {
      attempts: await count('delivery_attempts'),
      minutes: await count('endpoint_health_minute'),
    };
    const fresh = attempt(WEBHOOK_B, EVENT_2, 1, {
      started_at: new Date().toISOString(),
      finished_at: new Date().toISOString(),
    });
    await writeProjection(dataSource, toProjectionRows([{ partition: 0, offset: '9000', record: fresh }]), {
      rollups: false,
    });
    expect(await count('delivery_attempts')).toBe(before.attempts + 1);
    expect(await count('endpoint_health_minute')).toBe(before.minutes);
    const again = attempt(WEBHOOK_B, EVENT_2, 2, {
      started_at: new Date().toISOString(),
      finished_at: new Date().toISOString(),
    });
    await writeProjection(dataSource, toProjectionRows([{ partition: 0, offset: '9001', record: again }]));
    expect(await count('endpoint_health_minute')).toBe(before.minutes + 1); // on by default
  });
});
