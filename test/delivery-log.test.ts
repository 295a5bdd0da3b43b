// The delivery log API over real HTTP and the real Postgres: listing with every filter, keyset
// paging, one delivery with its attempts, account isolation, auth, and redelivery (one, and all
// since a time) landing as rows in the durable retry store.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Global, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import type { AttemptRecord } from '@vowchat/events';
import { JsonLogger } from '@vowchat/platform';
import { loadDispatcherConfig } from '../apps/dispatcher/src/config';
import { DeliveryLogModule } from '../apps/dispatcher/src/delivery-log/delivery-log.module';
import type { DeliveryDetailView, DeliveryView } from '../apps/dispatcher/src/delivery-log/delivery.view';
import { deliveryIdOf } from '../apps/dispatcher/src/delivery/delivery-job';
import { InfrastructureModule } from '../apps/dispatcher/src/infrastructure.module';
import { writeProjection } from '../apps/dispatcher/src/outcomes/outcome-projector';
import { toProjectionRows } from '../apps/dispatcher/src/outcomes/projection-rows';
import { RetryStore } from '../apps/dispatcher/src/retry/retry-store';
import { DATABASE_URL, dropSchema, KAFKA_BROKERS, newSchemaName } from './support/infra';
import { uniqueName } from './support/names';
import { TEST_SECRET_KEYS } from './support/system';

@Global()
@Module({
  providers: [
    { provide: RetryStore, useFactory: (ds: DataSource) => new RetryStore(ds), inject: [DataSource] },
  ],
  exports: [RetryStore],
})
class TestRetryStoreModule {}

const ACCOUNT = 11;
const OTHER_ACCOUNT = 12;
const WEBHOOK = '0190f000-aaaa-7000-8000-000000000001';
const SIBLING = '0190f000-aaaa-7000-8000-000000000002'; // same account
const FOREIGN = '0190f000-aaaa-7000-8000-000000000003'; // another account
type Answer = Partial<DeliveryDetailView> & {
  deliveries?: DeliveryView[];
  next_cursor?: string | null;
  message?: string;
  redelivered?: number;
};
interface RetryRow {
  delivery_id: string;
  event_id: string;
  webhook_id: string;
  account_id: string;
  event_type: string;
  attempt: number;
  body: string;
  due_at: Date;
}
const T0 = Date.UTC(2024, 0, 15, 10, 0, 0);
const minute = (n: number) => new Date(T0 + n * 60_000);

let sequence = 0;
/** One attempt of the delivery of event `event` to `webhook`, starting `at` minutes after T0. */
function attempt(
  event: number,
  webhook: string,
  n: number,
  at: number,
  overrides: Partial<AttemptRecord> = {},
): AttemptRecord {
  const eventId = `0190f000-0000-7000-8000-${String(event).padStart(12, '0')}`;
  return {
    kind: 'attempt',
    attempt_id: `00000000-0000-4000-8000-${String(++sequence).padStart(12, '0')}`,
    delivery_id: deliveryIdOf(eventId, webhook),
    event_id: eventId,
    webhook_id: webhook,
    account_id: webhook === FOREIGN ? OTHER_ACCOUNT : ACCOUNT,
    event_type: 'message_created',
    attempt: n,
    outcome: 'delivered',
    status_code: 200,
    duration_ms: 25,
    error: null,
    response_body: 'OK',
    next_attempt_at: null,
    started_at: minute(at).toISOString(),
    finished_at: new Date(minute(at).getTime() + 25).toISOString(),
    payload: null,
    ...overrides,
  };
}

const retryingFields = (at: number): Partial<AttemptRecord> => ({
  outcome: 'retrying',
  status_code: 503,
  error: 'HTTP 503',
  response_body: 'busy',
  next_attempt_at: minute(at + 1).toISOString(),
});
const body = (event: number) => JSON.stringify({ event: 'message_created', id: String(event) });

// Webhook WEBHOOK's deliveries, newest first: 8 (dead after 3 attempts), 7 and 6 (both first tried at
// minute 6), 5 (failed 400), 4 (retrying), 3, 2, 1 (delivered).
const seed: AttemptRecord[] = [
  attempt(1, WEBHOOK, 1, 1),
  attempt(2, WEBHOOK, 1, 2, { event_type: 'conversation_created' }),
  attempt(3, WEBHOOK, 1, 3),
  attempt(4, WEBHOOK, 1, 4, { event_type: 'message_updated', ...retryingFields(4) }),
  attempt(5, WEBHOOK, 1, 5, {
    event_type: 'conversation_created',
    outcome: 'failed',
    status_code: 400,
    error: 'HTTP 400',
    response_body: 'bad payload',
    payload: body(5),
  }),
  attempt(6, WEBHOOK, 1, 6),
  attempt(7, WEBHOOK, 1, 6),
  attempt(8, WEBHOOK, 1, 7, retryingFields(7)),
  attempt(8, WEBHOOK, 2, 8, retryingFields(8)),
  attempt(8, WEBHOOK, 3, 9, {
    outcome: 'dead',
    status_code: 500,
    error: 'HTTP 500',
    response_body: 'boom',
    payload: body(8),
  }),
  attempt(9, SIBLING, 1, 3, { outcome: 'dead', status_code: 500, error: 'HTTP 500', payload: body(9) }),
  attempt(10, FOREIGN, 1, 3, { outcome: 'dead', status_code: 500, error: 'HTTP 500', payload: body(10) }),
];
const idOf = (event: number, webhook = WEBHOOK) =>
  seed.find((a) => a.event_id.endsWith(`-${String(event).padStart(12, '0')}`) && a.webhook_id === webhook)!
    .delivery_id;

describe('delivery log API', () => {
  const schema = newSchemaName();
  const token = uniqueName('token');
  let app: INestApplication;
  let db: DataSource;
  let base: string;

  async function call(method: string, path: string, options: { body?: unknown; auth?: boolean } = {}) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.auth !== false) headers.api_access_token = token;
    const response = await fetch(base + path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    // The shapes of every answer this API gives: a list, a delivery, a redelivery or an error.
    return { status: response.status, json: (await response.json()) as Answer };
  }
  const get = (path: string) => call('GET', path);
  const deliveriesOf = (webhook = WEBHOOK, account = ACCOUNT) =>
    `/api/v1/accounts/${account}/webhooks/${webhook}/deliveries`;
  const listIds = async (query: string) => {
    const { status, json } = await get(`${deliveriesOf()}?${query}`);
    expect(status).toBe(200);
    return json.deliveries!.map((d) => d.delivery_id);
  };
  const retryRows = async () =>
    await db.query<RetryRow[]>(
      'SELECT delivery_id, event_id, webhook_id, account_id, event_type, attempt, body, due_at FROM scheduled_retries ORDER BY delivery_id',
    );

  beforeAll(async () => {
    const config = loadDispatcherConfig({
      DISPATCHER_API_TOKEN: token,
      SECRET_ENCRYPTION_KEYS: TEST_SECRET_KEYS,
      DATABASE_URL,
      DATABASE_SCHEMA: schema,
      KAFKA_BROKERS: KAFKA_BROKERS.join(','),
      KAFKA_CLIENT_ID: uniqueName('delivery-log-test'),
      LOG_LEVEL: 'error',
    });
    const logger = new JsonLogger('dispatcher', config.logLevel);
    const moduleRef = await Test.createTestingModule({
      imports: [InfrastructureModule.forRoot(config, logger), TestRetryStoreModule, DeliveryLogModule],
    }).compile();
    app = moduleRef.createNestApplication({ logger });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
    db = app.get(DataSource);
    for (const [id, account] of [
      [WEBHOOK, ACCOUNT],
      [SIBLING, ACCOUNT],
      [FOREIGN, OTHER_ACCOUNT],
    ] as const) {
      await db.query(
        `INSERT INTO webhooks (id, account_id, url, subscriptions, secret, version) VALUES ($1, $2, $3, $4, $5, 1)`,
        [id, account, `https://hooks.example.com/${id}`, ['message_created'], 'whsec_dGVzdA=='],
      );
    }
    await writeProjection(
      db,
      toProjectionRows(seed.map((record, i) => ({ partition: 0, offset: String(i), record }))),
    );
  });

  afterAll(async () => {
    await app?.get(RetryStore).close();
    await app?.close();
    await dropSchema(schema);
  });

  beforeEach(async () => {
    await db.query('DELETE FROM scheduled_retries');
  });

  it('refuses a request without the token', async () => {
    const { status, json } = await call('GET', deliveriesOf(), { auth: false });
    expect(status).toBe(401);
    expect(json.message).toMatch(/missing API token/);
  });

  it("lists a webhook's deliveries newest first, each as its latest attempt", async () => {
    const { status, json } = await get(deliveriesOf());

    expect(status).toBe(200);
    expect(json.next_cursor).toBeNull();
    const ids = json.deliveries!.map((d) => d.delivery_id);
    const tied = [idOf(6), idOf(7)].sort(); // same first attempt time: ordered by id
    expect(ids).toEqual([idOf(8), ...tied, idOf(5), idOf(4), idOf(3), idOf(2), idOf(1)]);
    expect(json.deliveries![0]).toEqual({
      delivery_id: idOf(8),
      event_id: seed[9].event_id,
      event_type: 'message_created',
      outcome: 'dead',
      attempts: 3,
      last_status_code: 500,
      last_error: 'HTTP 500',
      next_attempt_at: null,
      first_attempt_at: minute(7).toISOString(),
      last_attempt_at: seed[9].finished_at,
    });
    expect(json.deliveries!.find((d) => d.delivery_id === idOf(4))).toMatchObject({
      outcome: 'retrying',
      next_attempt_at: minute(5).toISOString(),
    });
  });

  it('filters by outcome, event type and time', async () => {
    expect(await listIds('outcome=failed,dead')).toEqual([idOf(8), idOf(5)]);
    expect(await listIds('outcome=retrying')).toEqual([idOf(4)]);
    expect(await listIds('event_type=conversation_created')).toEqual([idOf(5), idOf(2)]);
    expect(await listIds('event_type=conversation_created&outcome=delivered')).toEqual([idOf(2)]);
    expect(await listIds(`since=${minute(3).toISOString()}&until=${minute(5).toISOString()}`)).toEqual([
      idOf(4),
      idOf(3),
    ]);
    expect(await listIds('since=2024-01-16')).toEqual([]);
  });

  it('pages with an opaque cursor, without gaps or repeats, through deliveries that share a time', async () => {
    const all = await listIds('');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const { status, json } = await get(`${deliveriesOf()}?${query}`);
      expect(status).toBe(200);
      seen.push(...json.deliveries!.map((d) => d.delivery_id));
      cursor = json.next_cursor!;
      pages++;
    } while (cursor !== null);

    expect(seen).toEqual(all);
    expect(pages).toBe(4);
  });

  it.each([
    ['outcome=lost', 'outcome must be one or more of delivered, retrying, failed, dead; got "lost"'],
    ['event_type=contact_created', 'event_type must be one or more of conversation_created'],
    ['since=yesterday', 'since must be an ISO-8601 time with a zone'],
    ['limit=500', 'limit must be an integer from 1 to 200, got "500"'],
    ['cursor=abc', 'cursor is not one this API returned'],
  ])('answers 400 to %s, naming the problem', async (query, message) => {
    const { status, json } = await get(`${deliveriesOf()}?${query}`);
    expect(status).toBe(400);
    expect(json.message).toContain(message);
  });

  it('shows one delivery with every attempt in order, with the truncated answers', async () => {
    const { status, json } = await get(`${deliveriesOf()}/${idOf(8)}`);

    expect(status).toBe(200);
    expect(json).toMatchObject({ delivery_id: idOf(8), outcome: 'dead', last_status_code: 500 });
    expect(json.attempts).toEqual(
      seed.slice(7, 10).map((a) => ({
        attempt_id: a.attempt_id,
        attempt: a.attempt,
        outcome: a.outcome,
        status_code: a.status_code,
        duration_ms: 25,
        error: a.error,
        response_body: a.response_body,
        next_attempt_at: a.next_attempt_at,
        started_at: a.started_at,
        finished_at: a.finished_at,
      })),
    );
  });

  it("hides another account's webhook and another webhook's delivery behind a 404", async () => {
    const notFound = [
      await get(deliveriesOf(WEBHOOK, OTHER_ACCOUNT)),
      await get(deliveriesOf(FOREIGN, ACCOUNT)),
      await get(`${deliveriesOf(WEBHOOK, OTHER_ACCOUNT)}/${idOf(8)}`),
      await get(`${deliveriesOf(WEBHOOK)}/${idOf(9, SIBLING)}`),
      await get(`${deliveriesOf(WEBHOOK)}/00000000-0000-4000-8000-000000000000`),
      await get(`${deliveriesOf(WEBHOOK)}/not-a-uuid`),
      await get(deliveriesOf('not-a-uuid')),
      await call('POST', `${deliveriesOf(WEBHOOK, OTHER_ACCOUNT)}/${idOf(8)}/redeliver`),
      await call('POST', `/api/v1/accounts/${OTHER_ACCOUNT}/webhooks/${WEBHOOK}/redeliver`, {
        body: { since: '2024-01-01' },
      }),
    ];
    expect(notFound.map((r) => r.status)).toEqual(notFound.map(() => 404));
    expect(notFound[0].json.message).toBe(`webhook ${WEBHOOK} not found in this account`);
    expect(notFound[3].json.message).toBe(`delivery ${idOf(9, SIBLING)} not found for this webhook`);
    expect(await retryRows()).toEqual([]);
  });

  it('redelivers one dead delivery as its next attempt, due now, with the recorded body', async () => {
    const before = Date.now();
    const { status, json } = await call('POST', `${deliveriesOf()}/${idOf(8)}/redeliver`);

    expect(status).toBe(202);
    expect(json).toEqual({ delivery_id: idOf(8), attempt: 4 });
    const [row, ...others] = await retryRows();
    expect(others).toEqual([]);
    expect(row).toMatchObject({
      delivery_id: idOf(8),
      event_id: seed[9].event_id,
      webhook_id: WEBHOOK,
      account_id: String(ACCOUNT),
      event_type: 'message_created',
      attempt: 4,
      body: body(8),
    });
    expect(row.due_at.getTime()).toBeGreaterThanOrEqual(before - 1_000);
    expect(row.due_at.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('refuses to redeliver a delivery that was delivered or is still being retried, and an unknown one', async () => {
    const delivered = await call('POST', `${deliveriesOf()}/${idOf(3)}/redeliver`);
    const retrying = await call('POST', `${deliveriesOf()}/${idOf(4)}/redeliver`);
    const unknown = await call('POST', `${deliveriesOf()}/00000000-0000-4000-8000-000000000000/redeliver`);

    expect(delivered.status).toBe(409);
    expect(delivered.json.message).toBe(
      `delivery ${idOf(3)} was delivered (attempt 1); only failed or dead deliveries can be redelivered`,
    );
    expect(retrying.status).toBe(409);
    expect(retrying.json.message).toMatch(
      /is still being retried \(attempt 2 is due at 2024-01-15T10:05:00.000Z\)/,
    );
    expect(unknown.status).toBe(404);
    expect(await retryRows()).toEqual([]);
  });

  it('redelivers every failed or dead delivery of the webhook whose last attempt is at or after since', async () => {
    const redeliver = (since: unknown) =>
      call('POST', `/api/v1/accounts/${ACCOUNT}/webhooks/${WEBHOOK}/redeliver`, { body: { since } });

    expect((await redeliver('2024-01-16T00:00:00Z')).json).toEqual({
      redelivered: 0,
      skipped_without_body: 0,
    });
    expect(await retryRows()).toEqual([]);

    // Delivery 8's last attempt ended at minute 9, delivery 5's at minute 5.
    const recent = await redeliver(minute(6).toISOString());
    expect(recent).toEqual({ status: 202, json: { redelivered: 1, skipped_without_body: 0 } });
    expect((await retryRows()).map((r) => [r.delivery_id, r.attempt])).toEqual([[idOf(8), 4]]);

    const all = await redeliver('2024-01-15');
    expect(all.json).toEqual({ redelivered: 2, skipped_without_body: 0 });
    const rows = await retryRows();
    expect(rows.map((r) => [r.delivery_id, r.attempt, r.body])).toEqual(
      [
        [idOf(8), 4, body(8)],
        [idOf(5), 2, body(5)],
      ].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    );
  });

  it('answers 400 to a bulk redelivery without a usable since', async () => {
    const path = `/api/v1/accounts/${ACCOUNT}/webhooks/${WEBHOOK}/redeliver`;
    const missing = await call('POST', path, { body: {} });
    const bad = await call('POST', path, { body: { since: 'last tuesday' } });

    expect(missing.status).toBe(400);
    expect(missing.json.message).toBe(
      'since is required: send {"since": "<ISO-8601 time>"} as JSON with Content-Type: application/json',
    );
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/^since must be an ISO-8601 time with a zone/);
  });
});
