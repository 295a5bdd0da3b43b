// Health rollups (issue 10, item 1) on the real broker and Postgres: after mixed traffic through a
// running dispatcher, the minute and hour rollups hold exactly what the raw attempts and deferrals
// add up to; a replayed batch and a re-consumed topic count nothing twice; projection:rebuild gives
// identical rollups; the retention pruner deletes old rows in batches and keeps young ones.
import type { DataSource } from 'typeorm';
import {
  exampleEvent,
  type AttemptRecord,
  type DeferralRecord,
  type DeliveryTopicRecord,
  type EventType,
} from '@vowchat/events';
import { JsonLogger } from '@vowchat/platform';
import { createDataSource, migrate } from '../apps/dispatcher/src/database/data-source';
import { deliveryIdOf } from '../apps/dispatcher/src/delivery/delivery-job';
import { ATTEMPT_DURATION_BOUNDS_MS } from '../apps/dispatcher/src/health/health-buckets';
import { HealthRetention } from '../apps/dispatcher/src/health/health-retention';
import {
  toHourRollups,
  toMinuteRollups,
  type RollupAttempt,
  type RollupDeferral,
  type RollupRow,
} from '../apps/dispatcher/src/health/rollup-rows';
import { OutcomeProjector, writeProjection } from '../apps/dispatcher/src/outcomes/outcome-projector';
import { toProjectionRows } from '../apps/dispatcher/src/outcomes/projection-rows';
import { rebuildProjection } from '../apps/dispatcher/src/outcomes/rebuild-projection';
import { DATABASE_URL, dropSchema, newSchemaName } from './support/infra';
import { uniqueName } from './support/names';
import { createWebhook, startSystem, type RunningSystem } from './support/system';
import { waitFor } from './support/wait-for';

const log = new JsonLogger('test', 'error');
const DAY_MS = 86_400_000;

/** The rollup rows of a table, as the pure fold types them (bigint columns read back as numbers). */
async function rollups(db: DataSource, table: string): Promise<RollupRow[]> {
  const rows = await db.query<Record<string, unknown>[]>(
    `SELECT * FROM ${table} ORDER BY webhook_id, bucket`,
  );
  return rows.map((r) => ({
    ...(r as unknown as RollupRow),
    account_id: Number(r.account_id),
    duration_sum_ms: Number(r.duration_sum_ms),
    e2e_sum_ms: Number(r.e2e_sum_ms),
    e2e_max_ms: Number(r.e2e_max_ms),
  }));
}

async function rawAttempts(db: DataSource): Promise<RollupAttempt[]> {
  const rows = await db.query<(RollupAttempt & { account_id: string })[]>(
    `SELECT webhook_id, account_id, attempt, outcome, failure_class, duration_ms, started_at, finished_at,
            event_published_at, routed_at FROM delivery_attempts`,
  );
  return rows.map((r) => ({ ...r, account_id: Number(r.account_id) }));
}

async function rawDeferrals(db: DataSource): Promise<RollupDeferral[]> {
  const rows = await db.query<(RollupDeferral & { account_id: string })[]>(
    `SELECT webhook_id, account_id, reason, at, routed_at, event_published_at FROM delivery_deferrals`,
  );
  return rows.map((r) => ({ ...r, account_id: Number(r.account_id) }));
}

describe('health rollups after mixed traffic through a dispatcher', () => {
  let system: RunningSystem;
  let db: DataSource;
  const hooks: Record<string, { id: string; accountId: number }> = {};
  const EVENTS = 4;

  beforeAll(async () => {
    system = await startSystem({
      DELIVERY_TIMEOUT_MS: '400',
      RETRY_SCHEDULE_MS: '100,200',
      RETRY_AFTER_CAP_MS: '100',
      BREAKER_VOLUME_THRESHOLD: '4',
      BREAKER_ERROR_THRESHOLD_PERCENT: '50',
      BREAKER_RESET_TIMEOUT_MS: '300',
    });
    db = createDataSource({ url: DATABASE_URL, schema: system.names.schema });
    await db.initialize();
    const { receiver, dispatcher, publisher } = system;
    receiver.behave('/server-error', { kind: 'status', code: 500 });
    receiver.behave('/bad-request', { kind: 'status', code: 400 });
    receiver.behave('/throttled', { kind: 'status', code: 429, headers: { 'retry-after': '0' } });
    receiver.behave('/hang', { kind: 'hang' });
    receiver.behave('/gone', { kind: 'status', code: 410 });
    const targets: Record<string, string> = {
      ok: receiver.url('/ok'),
      serverError: receiver.url('/server-error'),
      badRequest: receiver.url('/bad-request'),
      throttled: receiver.url('/throttled'),
      hang: receiver.url('/hang'),
      refused: 'http://127.0.0.1:9/refused',
      gone: receiver.url('/gone'),
    };
    let accountId = 7000;
    for (const [name, url] of Object.entries(targets)) {
      const account = { id: ++accountId, name: `Account ${accountId}` };
      const type: EventType = 'message_created';
      const hook = await createWebhook(dispatcher.baseUrl, account.id, url, [type]);
      hooks[name] = { id: hook.id, accountId: account.id };
      // One event for the endpoint that answers 410 (it is disabled after it), EVENTS for the others.
      for (let i = 0; i < (name === 'gone' ? 1 : EVENTS); i++)
        await publisher.publish({ ...exampleEvent(type, account), content: `${name} ${i}` });
    }
    const expectedDeliveries = 6 * EVENTS + 1;
    const attemptRecords = () =>
      system.outcomes.records.filter((r): r is AttemptRecord => r.kind === 'attempt');
    // Every delivery reaches its last attempt...
    await waitFor(
      'every delivery to end',
      () =>
        new Set(
          attemptRecords()
            .filter((r) => r.outcome !== 'retrying')
            .map((r) => r.delivery_id),
        ).size === expectedDeliveries,
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    // ...and the projector has every attempt and deferral of the topic.
    await waitFor(
      'the projection to catch up',
      async () => {
        const [{ attempts, deferrals }] = await db.query<{ attempts: number; deferrals: number }[]>(
          `SELECT (SELECT count(*)::int FROM delivery_attempts) AS attempts,
                  (SELECT count(*)::int FROM delivery_deferrals) AS deferrals`,
        );
        const onTopic = system.outcomes.records;
        return (
          attempts === attemptRecords().length &&
          deferrals === onTopic.filter((r) => r.kind === 'deferral').length
        );
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  }, 120_000);

  afterAll(async () => {
    if (db?.isInitialized) await db.destroy();
    await system?.stop();
  });

  it('records the failure class and publish time of every attempt, and breaker deferrals', () => {
    const records = system.outcomes.records;
    const attempts = records.filter((r): r is AttemptRecord => r.kind === 'attempt');
    const classesOf = (name: string) =>
      new Set(attempts.filter((a) => a.webhook_id === hooks[name].id).map((a) => a.failure_class));
    expect(classesOf('ok')).toEqual(new Set([null]));
    expect(classesOf('serverError')).toEqual(new Set(['http_5xx']));
    expect(classesOf('badRequest')).toEqual(new Set(['http_4xx']));
    expect(classesOf('throttled')).toEqual(new Set(['throttled']));
    expect(classesOf('hang')).toEqual(new Set(['timeout']));
    expect(classesOf('refused')).toEqual(new Set(['connection']));
    expect(classesOf('gone')).toEqual(new Set(['gone']));
    expect(attempts.every((a) => typeof a.event_published_at === 'string')).toBe(true);
    const breakerDeferrals = records.filter(
      (r): r is DeferralRecord => r.kind === 'deferral' && r.reason === 'breaker_open',
    );
    expect(breakerDeferrals.length).toBeGreaterThan(0);
  });

  it('holds exactly what the raw attempts and deferrals add up to, per minute and per hour', async () => {
    const raw = await rawAttempts(db);
    const deferrals = await rawDeferrals(db);
    const minutes = await rollups(db, 'endpoint_health_minute');
    expect(minutes).toEqual(toMinuteRollups(raw, deferrals));
    expect(await rollups(db, 'endpoint_health_hour')).toEqual(toHourRollups(minutes));
  });

  it('agrees with sums computed by SQL from the raw rows, per webhook', async () => {
    const bounds = `ARRAY[${ATTEMPT_DURATION_BOUNDS_MS.join(',')}]`;
    const fromRaw = await db.query<Record<string, unknown>[]>(
      `SELECT a.webhook_id, count(*)::int AS attempts,
         count(*) FILTER (WHERE outcome = 'delivered')::int AS delivered,
         count(*) FILTER (WHERE outcome <> 'delivered' AND failure_class IN ('http_4xx', 'gone', 'redirect', 'internal'))::int AS failed,
         count(*) FILTER (WHERE outcome <> 'delivered' AND failure_class = 'http_5xx')::int AS retried_5xx,
         count(*) FILTER (WHERE outcome <> 'delivered' AND failure_class = 'throttled')::int AS throttled,
         count(*) FILTER (WHERE outcome <> 'delivered' AND failure_class = 'timeout')::int AS timeouts,
         count(*) FILTER (WHERE outcome <> 'delivered' AND failure_class = 'connection')::int AS connection_errors,
         count(*) FILTER (WHERE outcome = 'dead')::int AS dead,
         count(*) FILTER (WHERE attempt = 1)::int AS first_attempts,
         count(*) FILTER (WHERE attempt = 1 AND outcome = 'delivered')::int AS first_attempt_delivered,
         (SELECT count(*)::int FROM delivery_deferrals d WHERE d.webhook_id = a.webhook_id AND reason = 'breaker_open') AS deferred_breaker,
         sum(duration_ms)::bigint AS duration_sum_ms, max(duration_ms) AS duration_max_ms,
         count(*) FILTER (WHERE outcome = 'delivered' AND event_published_at IS NOT NULL)::int AS e2e_count,
         count(*) FILTER (WHERE attempt = 1 AND event_published_at IS NOT NULL)::int AS wait_count,
         max(finished_at) FILTER (WHERE outcome = 'delivered') AS last_success_at,
         max(finished_at) FILTER (WHERE outcome <> 'delivered') AS last_failure_at,
         (SELECT array_agg(n ORDER BY k) FROM (
            SELECT s.k, count(x.duration_ms) FILTER (WHERE x.idx = s.k)::int AS n
              FROM generate_series(0, ${ATTEMPT_DURATION_BOUNDS_MS.length}) AS s(k)
              CROSS JOIN (SELECT y.duration_ms, (SELECT count(*) FROM unnest(${bounds}) b WHERE b < y.duration_ms)::int AS idx
                            FROM delivery_attempts y WHERE y.webhook_id = a.webhook_id) x
             GROUP BY s.k) per_bucket) AS duration_buckets
       FROM delivery_attempts a GROUP BY a.webhook_id ORDER BY a.webhook_id`,
    );
    for (const table of ['endpoint_health_minute', 'endpoint_health_hour']) {
      const fromRollups = await db.query<Record<string, unknown>[]>(
        `SELECT webhook_id, sum(attempts)::int AS attempts, sum(delivered)::int AS delivered, sum(failed)::int AS failed,
           sum(retried_5xx)::int AS retried_5xx, sum(throttled)::int AS throttled, sum(timeouts)::int AS timeouts,
           sum(connection_errors)::int AS connection_errors, sum(dead)::int AS dead,
           sum(first_attempts)::int AS first_attempts, sum(first_attempt_delivered)::int AS first_attempt_delivered,
           sum(deferred_breaker)::int AS deferred_breaker,
           sum(duration_sum_ms)::bigint AS duration_sum_ms, max(duration_max_ms) AS duration_max_ms,
           sum(e2e_count)::int AS e2e_count, sum(wait_count)::int AS wait_count,
           max(last_success_at) AS last_success_at, max(last_failure_at) AS last_failure_at,
           health_sum_buckets(duration_buckets)::int[] AS duration_buckets
         FROM ${table} WHERE attempts > 0 GROUP BY webhook_id ORDER BY webhook_id`,
      );
      expect(fromRollups).toEqual(fromRaw);
    }
    const byHook = new Map(fromRaw.map((r) => [r.webhook_id, r]));
    const dead = (name: string) => byHook.get(hooks[name].id);
    expect(dead('ok')).toMatchObject({
      attempts: EVENTS,
      delivered: EVENTS,
      first_attempt_delivered: EVENTS,
      e2e_count: EVENTS,
      wait_count: EVENTS,
    });
    expect(dead('badRequest')).toMatchObject({ attempts: EVENTS, failed: EVENTS, dead: 0 });
    expect(dead('gone')).toMatchObject({ attempts: 1, failed: 1 });
    for (const [name, column] of [
      ['serverError', 'retried_5xx'],
      ['throttled', 'throttled'],
      ['hang', 'timeouts'],
      ['refused', 'connection_errors'],
    ]) {
      expect(dead(name)).toMatchObject({ attempts: 3 * EVENTS, [column]: 3 * EVENTS, dead: EVENTS });
    }
  });

  it('counts nothing twice when the topic is consumed again by a new group', async () => {
    const before = {
      minute: await rollups(db, 'endpoint_health_minute'),
      hour: await rollups(db, 'endpoint_health_hour'),
    };
    const kafka = system.kafka;
    const replay = new OutcomeProjector({
      kafka,
      dataSource: db,
      topic: system.names.topics.deliveries,
      groupId: uniqueName('replay'),
      log,
    });
    await replay.start();
    try {
      await waitFor(
        'the replay to read every record',
        () => replay.stats.projected >= system.outcomes.records.length,
        {
          timeoutMs: 30_000,
        },
      );
    } finally {
      await replay.stop();
    }
    expect({
      minute: await rollups(db, 'endpoint_health_minute'),
      hour: await rollups(db, 'endpoint_health_hour'),
    }).toEqual(before);
  });

  it('projection:rebuild reproduces identical rollups', async () => {
    await system.dispatcher.stop();
    const snapshot = async () => ({
      minute: await rollups(db, 'endpoint_health_minute'),
      hour: await rollups(db, 'endpoint_health_hour'),
      deferrals: await db.query('SELECT * FROM delivery_deferrals ORDER BY deferral_id'),
    });
    const before = await snapshot();
    // A stray count the topic does not hold is gone after the rebuild.
    await db.query(`UPDATE endpoint_health_minute SET attempts = attempts + 100`);
    await rebuildProjection({
      kafka: system.kafka,
      dataSource: db,
      topic: system.names.topics.deliveries,
      groupIdPrefix: uniqueName('rebuild'),
      log,
      print: () => undefined,
    });
    expect(await snapshot()).toEqual(before);
  });
});

describe('rollup idempotence and retention, on hand-made rows', () => {
  const schema = newSchemaName();
  let db: DataSource;
  const WEBHOOK = 'aaaaaaaa-0000-4000-8000-00000000000a';
  const EVENT = '0190f000-0000-7000-8000-00000000000a';
  let ids = 0;

  function attempt(finishedAt: Date, overrides: Partial<AttemptRecord> = {}): AttemptRecord {
    return {
      kind: 'attempt',
      attempt_id: `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
      delivery_id: deliveryIdOf(EVENT, WEBHOOK),
      event_id: EVENT,
      webhook_id: WEBHOOK,
      account_id: 11,
      event_type: 'message_created',
      attempt: 1,
      outcome: 'delivered',
      status_code: 200,
      duration_ms: 20,
      error: null,
      response_body: 'OK',
      next_attempt_at: null,
      started_at: new Date(finishedAt.getTime() - 20).toISOString(),
      finished_at: finishedAt.toISOString(),
      payload: null,
      failure_class: null,
      event_published_at: new Date(finishedAt.getTime() - 500).toISOString(),
      ...overrides,
    };
  }

  const positioned = (records: DeliveryTopicRecord[]) =>
    records.map((record, i) => ({ partition: 0, offset: String(i), record }));

  beforeAll(async () => {
    db = createDataSource({ url: DATABASE_URL, schema });
    await db.initialize();
    await migrate(db, schema);
  });

  afterAll(async () => {
    if (db?.isInitialized) await db.destroy();
    await dropSchema(schema);
  });

  it('counts a replayed batch once, and attempts past the horizon not at all', async () => {
    const now = new Date();
    const batch = toProjectionRows(
      positioned([
        attempt(now),
        attempt(now, { outcome: 'retrying', failure_class: 'http_5xx', status_code: 503, duration_ms: 700 }),
        {
          kind: 'deferral',
          deferral_id: '0190f000-0000-7000-8000-0000000000d1',
          delivery_id: deliveryIdOf(EVENT, WEBHOOK),
          webhook_id: WEBHOOK,
          account_id: 11,
          event_type: 'message_created',
          attempt: 2,
          reason: 'breaker_open',
          at: now.toISOString(),
        },
      ]),
    );
    const countFrom = new Date(now.getTime() - DAY_MS);
    await writeProjection(db, batch, { countFrom });
    const once = await rollups(db, 'endpoint_health_minute');
    expect(once).toHaveLength(1);
    expect(once[0]).toMatchObject({ attempts: 2, delivered: 1, retried_5xx: 1, deferred_breaker: 1 });
    await writeProjection(db, batch, { countFrom });
    expect(await rollups(db, 'endpoint_health_minute')).toEqual(once);

    // An attempt older than the horizon is written raw but not counted (its raw row may have been pruned).
    const old = toProjectionRows(positioned([attempt(new Date(now.getTime() - 2 * DAY_MS))]));
    await writeProjection(db, old, { countFrom });
    expect(await rollups(db, 'endpoint_health_minute')).toEqual(once);
    const [{ n }] = await db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM delivery_attempts`);
    expect(n).toBe(3);
  });

  it('counts internal errors under failed and in internal_errors, minute and hour alike', async () => {
    await db.query(`TRUNCATE delivery_attempts, deliveries, endpoint_health_minute, endpoint_health_hour`);
    const now = new Date();
    const internal = {
      outcome: 'failed',
      failure_class: 'internal',
      status_code: null,
      error: 'internal error: bug',
    } as const;
    await writeProjection(
      db,
      toProjectionRows(
        positioned([
          attempt(now, internal),
          attempt(now, { ...internal, outcome: 'dead', attempt: 8 }),
          attempt(now, { outcome: 'failed', failure_class: 'http_4xx', status_code: 400 }),
          attempt(now),
        ]),
      ),
      { countFrom: new Date(now.getTime() - DAY_MS) },
    );
    for (const table of ['endpoint_health_minute', 'endpoint_health_hour'])
      expect(await rollups(db, table)).toEqual([
        expect.objectContaining({ attempts: 4, delivered: 1, failed: 3, dead: 1, internal_errors: 2 }),
      ]);
  });

  it('prunes old rows in bounded batches and keeps young ones', async () => {
    await db.query(
      `TRUNCATE delivery_attempts, deliveries, delivery_deferrals, webhook_state_events, endpoint_health_minute, endpoint_health_hour`,
    );
    const now = new Date();
    const ago = (days: number) => new Date(now.getTime() - days * DAY_MS);
    // 23 old attempts (10 days) and 4 young ones (1 day), each its own delivery.
    const records: DeliveryTopicRecord[] = [];
    for (let i = 0; i < 27; i++) {
      const finished = i < 23 ? ago(10) : ago(1);
      records.push(
        attempt(finished, {
          delivery_id: deliveryIdOf(
            `0190f000-0000-7000-8000-0000000001${String(i).padStart(2, '0')}`,
            WEBHOOK,
          ),
        }),
      );
    }
    for (const [i, days] of [12, 9, 2].entries()) {
      records.push({
        kind: 'deferral',
        deferral_id: `0190f000-0000-7000-8000-0000000002${String(i).padStart(2, '0')}`,
        delivery_id: deliveryIdOf(EVENT, WEBHOOK),
        webhook_id: WEBHOOK,
        account_id: 11,
        event_type: 'message_created',
        attempt: 1,
        reason: 'breaker_open',
        at: ago(days).toISOString(),
      });
    }
    // Counted from now on: the rollup rows below are the only ones.
    await writeProjection(db, toProjectionRows(positioned(records)), { countFrom: now });
    // Rollups: minutes at 8 days (old) and 6 days (young), hours at 36 days (old) and 30 days (young).
    for (const [table, days] of [
      ['endpoint_health_minute', 8],
      ['endpoint_health_minute', 6],
      ['endpoint_health_hour', 36],
      ['endpoint_health_hour', 30],
    ] as const) {
      await db.query(
        `INSERT INTO ${table} (bucket, webhook_id, account_id, attempts) VALUES ($1, $2, 11, 1)
                      ON CONFLICT DO NOTHING`,
        [ago(days), WEBHOOK],
      );
    }
    // State events: the webhook's breaker changed 10, 9 and 1 days ago, it was disabled 12 days ago
    // and enabled 11 days ago; another webhook's breaker opened 10 days ago and has not changed since.
    // The two old breaker changes and the disabling go; the latest of each kind stays, however old.
    const OTHER = 'bbbbbbbb-0000-4000-8000-00000000000b';
    for (const [offset, webhook, kind, state, days] of [
      [0, WEBHOOK, 'breaker_state', 'closed', 10],
      [1, WEBHOOK, 'breaker_state', 'open', 9],
      [2, WEBHOOK, 'breaker_state', 'closed', 1],
      [3, WEBHOOK, 'webhook_state', 'disabled', 12],
      [4, WEBHOOK, 'webhook_state', 'enabled', 11],
      [5, OTHER, 'breaker_state', 'open', 10],
    ] as const)
      await db.query(
        `INSERT INTO webhook_state_events (source_partition, source_offset, kind, webhook_id, account_id, state, at)
         VALUES (0, $1, $2, $3, 11, $4, $5)`,
        [offset, kind, webhook, state, ago(days)],
      );
    const states = async () =>
      (
        await db.query<{ source_offset: string }[]>(
          'SELECT source_offset FROM webhook_state_events ORDER BY source_offset',
        )
      ).map((r) => Number(r.source_offset));
    const counts = async () => {
      const [row] = await db.query<Record<string, number>[]>(
        `SELECT (SELECT count(*)::int FROM delivery_attempts) AS attempts,
                (SELECT count(*)::int FROM deliveries) AS deliveries,
                (SELECT count(*)::int FROM delivery_deferrals) AS deferrals,
                (SELECT count(*)::int FROM endpoint_health_minute WHERE attempts = 1 AND bucket < now() - interval '5 days') AS minutes,
                (SELECT count(*)::int FROM endpoint_health_hour WHERE attempts = 1 AND bucket < now() - interval '25 days') AS hours`,
      );
      return row;
    };
    expect(await counts()).toEqual({ attempts: 27, deliveries: 27, deferrals: 3, minutes: 2, hours: 2 });

    const retention = new HealthRetention(
      db,
      {
        rawRetentionMs: 7 * DAY_MS,
        minuteRetentionMs: 7 * DAY_MS,
        hourRetentionMs: 35 * DAY_MS,
        batchSize: 5,
      },
      log,
    );
    // Another instance holding the lock: this one skips the round.
    const holder = db.createQueryRunner();
    await holder.connect();
    await holder.query(`SELECT pg_advisory_lock(hashtext('vowchat-health-retention:' || current_schema()))`);
    try {
      expect(await retention.pruneOnce(now)).toEqual({ ran: false, deleted: {}, batches: 0 });
    } finally {
      await holder.query(
        `SELECT pg_advisory_unlock(hashtext('vowchat-health-retention:' || current_schema()))`,
      );
      await holder.release();
    }

    const report = await retention.pruneOnce(now);
    expect(report).toEqual({
      ran: true,
      deleted: {
        delivery_attempts: 23,
        delivery_deferrals: 2,
        webhook_state_events: 3,
        deliveries: 23,
        endpoint_health_minute: 1,
        endpoint_health_hour: 1,
      },
      // 23 rows in batches of 5 take 5 statements (the last one short); a table with fewer rows takes 1.
      batches: 5 + 1 + 1 + 5 + 1 + 1,
    });
    expect(await states()).toEqual([2, 4, 5]);
    expect(await counts()).toEqual({ attempts: 4, deliveries: 4, deferrals: 1, minutes: 1, hours: 1 });
  });
});
