// The health API over real HTTP and the real Postgres. First the query layer against rollup rows
// written here (exact sums, series buckets, worst-first order, account isolation, refusals), then the
// whole system: known traffic through a real dispatcher to a real receiver, and the exact figures.
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { exampleEvent } from '@vowchat/events';
import type { Env } from '@vowchat/platform';
import { HealthApiModule } from '../apps/dispatcher/src/health/health-api.module';
import type {
  AccountHealthView,
  EndpointHealthView,
  EndpointSeriesView,
  OperatorHealthView,
} from '../apps/dispatcher/src/health/health.view';
import { cleanUpDispatcherEnv, DispatcherContext, dispatcherTestEnv } from './support/dispatcher-context';
import { createWebhook, startSystem, api, type RunningSystem } from './support/system';
import { waitFor } from './support/wait-for';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const zeros = (n: number) => new Array<number>(n).fill(0);
/** A bucket array with `counts` at the given indexes. */
const buckets = (length: number, counts: Record<number, number>) => {
  const out = zeros(length);
  for (const [i, c] of Object.entries(counts)) out[Number(i)] = c;
  return out;
};

interface RollupCounts {
  attempts?: number;
  delivered?: number;
  failed?: number;
  retried_5xx?: number;
  timeouts?: number;
  internal_errors?: number;
  first_attempts?: number;
  first_attempt_delivered?: number;
  duration_buckets?: number[];
  duration_sum_ms?: number;
  duration_max_ms?: number;
  e2e_buckets?: number[];
  e2e_count?: number;
  e2e_sum_ms?: number;
  e2e_max_ms?: number;
  wait_buckets?: number[];
  wait_count?: number;
  last_success_at?: Date | null;
  last_failure_at?: Date | null;
}

/** Writes the counts into the minute row and the hour row holding `at`, adding to what is there. */
async function record(db: DataSource, webhookId: string, accountId: number, at: Date, c: RollupCounts) {
  for (const [table, unit] of [
    ['endpoint_health_minute', 'minute'],
    ['endpoint_health_hour', 'hour'],
  ] as const) {
    await db.query(
      `INSERT INTO ${table} AS t (bucket, webhook_id, account_id, attempts, delivered, failed, retried_5xx, timeouts,
         first_attempts, first_attempt_delivered, duration_buckets, duration_sum_ms, duration_max_ms,
         e2e_buckets, e2e_count, e2e_sum_ms, e2e_max_ms, wait_buckets, wait_count, last_success_at, last_failure_at,
         internal_errors)
       VALUES (date_trunc('${unit}', $1::timestamptz), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
         $17, $18, $19, $20, $21, $22)
       ON CONFLICT (webhook_id, bucket) DO UPDATE SET
         attempts = t.attempts + EXCLUDED.attempts, delivered = t.delivered + EXCLUDED.delivered,
         failed = t.failed + EXCLUDED.failed, retried_5xx = t.retried_5xx + EXCLUDED.retried_5xx,
         timeouts = t.timeouts + EXCLUDED.timeouts, first_attempts = t.first_attempts + EXCLUDED.first_attempts,
         first_attempt_delivered = t.first_attempt_delivered + EXCLUDED.first_attempt_delivered,
         duration_buckets = health_add_buckets(t.duration_buckets, EXCLUDED.duration_buckets),
         duration_sum_ms = t.duration_sum_ms + EXCLUDED.duration_sum_ms,
         duration_max_ms = greatest(t.duration_max_ms, EXCLUDED.duration_max_ms),
         e2e_buckets = health_add_buckets(t.e2e_buckets, EXCLUDED.e2e_buckets), e2e_count = t.e2e_count + EXCLUDED.e2e_count,
         e2e_sum_ms = t.e2e_sum_ms + EXCLUDED.e2e_sum_ms, e2e_max_ms = greatest(t.e2e_max_ms, EXCLUDED.e2e_max_ms),
         wait_buckets = health_add_buckets(t.wait_buckets, EXCLUDED.wait_buckets), wait_count = t.wait_count + EXCLUDED.wait_count,
         last_success_at = greatest(t.last_success_at, EXCLUDED.last_success_at),
         last_failure_at = greatest(t.last_failure_at, EXCLUDED.last_failure_at),
         internal_errors = t.internal_errors + EXCLUDED.internal_errors`,
      [
        at,
        webhookId,
        accountId,
        c.attempts ?? 0,
        c.delivered ?? 0,
        c.failed ?? 0,
        c.retried_5xx ?? 0,
        c.timeouts ?? 0,
        c.first_attempts ?? 0,
        c.first_attempt_delivered ?? 0,
        c.duration_buckets ?? zeros(10),
        c.duration_sum_ms ?? 0,
        c.duration_max_ms ?? 0,
        c.e2e_buckets ?? zeros(19),
        c.e2e_count ?? 0,
        c.e2e_sum_ms ?? 0,
        c.e2e_max_ms ?? 0,
        c.wait_buckets ?? zeros(11),
        c.wait_count ?? 0,
        c.last_success_at ?? null,
        c.last_failure_at ?? null,
        c.internal_errors ?? 0,
      ],
    );
  }
}

describe('health API on rollup rows', () => {
  let env: Env;
  let ctx: DispatcherContext;
  let db: DataSource;
  let healthy: string; // mostly delivering
  let failing: string; // every attempt fails, breaker open
  let idle: string; // no traffic
  let foreign: string; // another account's
  let now: number;
  const at = (msAgo: number) => new Date(now - msAgo);

  beforeAll(async () => {
    // Rows sit a few minutes from now: start clear of a minute's end so the windows hold still.
    const intoMinute = Date.now() % MINUTE;
    if (intoMinute > 45_000) await new Promise((r) => setTimeout(r, MINUTE - intoMinute + 100));
    env = dispatcherTestEnv();
    ctx = await DispatcherContext.start(env, { imports: [HealthApiModule] });
    db = ctx.app.get(DataSource);
    healthy = (await ctx.newWebhook({ accountId: 1, name: 'healthy' })).id;
    failing = (await ctx.newWebhook({ accountId: 1, name: 'failing' })).id;
    idle = (await ctx.newWebhook({ accountId: 1, name: 'idle' })).id;
    foreign = (await ctx.newWebhook({ accountId: 2, name: 'foreign' })).id;
    now = Date.now();

    await record(db, healthy, 1, at(2 * MINUTE), {
      attempts: 30,
      delivered: 27,
      retried_5xx: 2,
      timeouts: 1,
      first_attempts: 28,
      first_attempt_delivered: 26,
      duration_buckets: buckets(10, { 0: 20, 1: 5, 2: 2, 9: 3 }),
      duration_sum_ms: 16_000,
      duration_max_ms: 5_001,
      e2e_buckets: buckets(19, { 0: 27 }),
      e2e_count: 27,
      e2e_sum_ms: 1_350,
      e2e_max_ms: 90,
      wait_buckets: buckets(11, { 0: 28 }),
      wait_count: 28,
      last_success_at: at(2 * MINUTE - 5_000),
      last_failure_at: at(2 * MINUTE - 1_000),
    });
    await record(db, healthy, 1, at(10 * MINUTE), {
      attempts: 20,
      delivered: 18,
      failed: 2,
      internal_errors: 1, // one of the two failures was ours
      first_attempts: 20,
      first_attempt_delivered: 18,
      duration_buckets: buckets(10, { 0: 20 }),
      duration_sum_ms: 100,
      duration_max_ms: 9,
      e2e_buckets: buckets(19, { 0: 18 }),
      e2e_count: 18,
      e2e_sum_ms: 900,
      e2e_max_ms: 80,
      wait_buckets: buckets(11, { 0: 18, 8: 2 }),
      wait_count: 20,
      last_success_at: at(10 * MINUTE - 5_000),
      last_failure_at: at(10 * MINUTE - 10_000),
    });
    // It last delivered three hours ago; it has failed every attempt of the last minute.
    await record(db, failing, 1, at(3 * HOUR), {
      attempts: 5,
      delivered: 5,
      first_attempts: 5,
      first_attempt_delivered: 5,
      duration_buckets: buckets(10, { 0: 5 }),
      last_success_at: at(3 * HOUR),
    });
    await record(db, failing, 1, at(1 * MINUTE), {
      attempts: 20,
      retried_5xx: 20,
      first_attempts: 20,
      duration_buckets: buckets(10, { 3: 20 }),
      duration_sum_ms: 1_500,
      duration_max_ms: 99,
      wait_buckets: buckets(11, { 0: 20 }),
      wait_count: 20,
      last_failure_at: at(1 * MINUTE - 30_000),
    });
    await record(db, foreign, 2, at(3 * MINUTE), {
      attempts: 10,
      delivered: 10,
      first_attempts: 10,
      first_attempt_delivered: 10,
      wait_buckets: buckets(11, { 1: 10 }),
      wait_count: 10,
      last_success_at: at(3 * MINUTE),
    });
    await db.query(
      `INSERT INTO webhook_state_events (source_partition, source_offset, kind, webhook_id, account_id, state, at)
       VALUES (0, 1, 'breaker_state', $1, 1, 'open', $2), (0, 0, 'breaker_state', $1, 1, 'closed', $3)`,
      [failing, at(50_000), at(HOUR)],
    );
    await db.query(
      `INSERT INTO scheduled_retries (delivery_id, event_id, webhook_id, account_id, event_type, attempt, body, due_at, created_at)
       VALUES ($1, $2, $5, 1, 'message_created', 2, '{}', $6, $7), ($3, $4, $5, 1, 'message_created', 2, '{}', $8, $7)`,
      [
        randomUUID(),
        randomUUID(),
        randomUUID(),
        randomUUID(),
        failing,
        at(5_000),
        at(40_000),
        new Date(now + MINUTE),
      ],
    );
  });

  afterAll(async () => {
    await ctx?.close();
    await cleanUpDispatcherEnv(env);
  });

  const get = <T>(path: string) => ctx.api<T>('GET', path);

  it("gives one endpoint's exact figures over the window", async () => {
    const { status, body } = await get<EndpointHealthView>(`/api/v1/accounts/1/webhooks/${healthy}/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      webhook_id: healthy,
      account_id: 1,
      name: 'healthy',
      window: '1h',
      resolution: '1m',
      success_ratio: 0.9,
      first_attempt_success_ratio: 0.9167,
      counts: {
        attempts: 50,
        delivered: 45,
        failed: 2,
        retried_5xx: 2,
        timeouts: 1,
        throttled: 0,
        connection_errors: 0,
        dead: 0,
        deferred_breaker: 0,
        first_attempts: 48,
        first_attempt_delivered: 44,
      },
      attempt_duration_ms: { count: 50, max: 5_001, mean: 322 },
      end_to_end_ms: { count: 45, max: 90, mean: 50 },
      first_attempt_wait_ms: { count: 48 },
      last_success_at: at(2 * MINUTE - 5_000).toISOString(),
      last_failure_at: at(2 * MINUTE - 1_000).toISOString(),
      failing_since: null,
      breaker: { state: 'closed', since: null },
      retries: { pending: 0, due: 0, oldest_pending_age_ms: null, oldest_due_age_ms: null },
      health_score: 0.902,
    });
    const span = (Date.parse(body.to) - Date.parse(body.from)) / 1000;
    expect(body.rate.attempts_per_second).toBeCloseTo(50 / span, 4);
    expect(body.rate.delivered_per_minute).toBeCloseTo((45 * 60) / span, 2);
    expect(body.attempt_duration_ms.p99).toBeGreaterThan(2_500);
    expect(body.attempt_duration_ms.p50).toBeLessThanOrEqual(10);
  });

  it('counts only the rows inside a shorter window', async () => {
    const { body } = await get<EndpointHealthView>(`/api/v1/accounts/1/webhooks/${healthy}/health?window=5m`);
    expect(body.counts).toMatchObject({ attempts: 30, delivered: 27 });
    expect(body.from).toBe(new Date(Math.floor(now / MINUTE) * MINUTE - 4 * MINUTE).toISOString());
  });

  it('reads 7 days from the hour rows', async () => {
    const { body } = await get<EndpointHealthView>(`/api/v1/accounts/1/webhooks/${failing}/health?window=7d`);
    expect(body).toMatchObject({ resolution: '1h', counts: { attempts: 25, delivered: 5, retried_5xx: 20 } });
  });

  it('shows a failing endpoint: failing since, breaker, pending retries', async () => {
    const { body } = await get<EndpointHealthView>(`/api/v1/accounts/1/webhooks/${failing}/health`);
    expect(body).toMatchObject({
      success_ratio: 0,
      first_attempt_success_ratio: 0,
      counts: { attempts: 20, retried_5xx: 20 },
      last_success_at: null, // none in the window
      failing_since: new Date(Math.floor((now - MINUTE) / MINUTE) * MINUTE).toISOString(),
      breaker: { state: 'open', since: at(50_000).toISOString() },
      retries: { pending: 2, due: 1 },
      health_score: 0.0238,
    });
    expect(body.retries.oldest_pending_age_ms).toBeGreaterThanOrEqual(40_000);
    expect(body.retries.oldest_due_age_ms).toBeGreaterThanOrEqual(5_000);
  });

  it('gives the window as a series with zero-filled gaps', async () => {
    const minutes = await get<EndpointSeriesView>(`/api/v1/accounts/1/webhooks/${healthy}/health?series=1m`);
    expect(minutes.status).toBe(200);
    expect(minutes.body.points).toHaveLength(60);
    const byAt = new Map(minutes.body.points.map((p) => [p.at, p]));
    const minuteOf = (msAgo: number) => new Date(Math.floor((now - msAgo) / MINUTE) * MINUTE).toISOString();
    expect(byAt.get(minuteOf(2 * MINUTE))).toMatchObject({ attempts: 30, delivered: 27, success_ratio: 0.9 });
    expect(byAt.get(minuteOf(10 * MINUTE))).toMatchObject({ attempts: 20, delivered: 18, failed: 2 });
    expect(minutes.body.points.filter((p) => p.attempts > 0)).toHaveLength(2);
    expect(byAt.get(minuteOf(5 * MINUTE))).toMatchObject({ attempts: 0, success_ratio: null });
    expect(minutes.body.points.at(-1)!.at).toBe(minuteOf(0));

    const hours = await get<EndpointSeriesView>(
      `/api/v1/accounts/1/webhooks/${failing}/health?window=24h&series=1h`,
    );
    expect(hours.body).toMatchObject({ series: '1h', resolution: '1h' });
    expect(hours.body.points).toHaveLength(24);
    const hourOf = (msAgo: number) => new Date(Math.floor((now - msAgo) / HOUR) * HOUR).toISOString();
    expect(hours.body.points.find((p) => p.at === hourOf(3 * HOUR))).toMatchObject({
      attempts: 5,
      delivered: 5,
    });
    expect(hours.body.points.reduce((s, p) => s + p.attempts, 0)).toBe(25);
  });

  it("lists an account's endpoints worst first", async () => {
    const { status, body } = await get<AccountHealthView>('/api/v1/accounts/1/health');
    expect(status).toBe(200);
    expect(body.webhooks.map((w) => w.webhook_id)).toEqual([failing, healthy, idle]);
    expect(body.webhooks[0]).toMatchObject({
      breaker_state: 'open',
      pending_retries: 2,
      health_score: 0.0238,
    });
    expect(body.webhooks[2]).toMatchObject({ health_score: 1, success_ratio: null, counts: { attempts: 0 } });
    expect(body.webhooks.some((w) => w.webhook_id === foreign)).toBe(false);
  });

  it('gives the operator the least healthy endpoints across accounts and the platform indicators', async () => {
    const { status, body } = await get<OperatorHealthView>('/api/v1/operator/health?limit=2');
    expect(status).toBe(200);
    expect(body.least_healthy.map((w) => [w.webhook_id, w.account_id])).toEqual([
      [failing, 1],
      [healthy, 1],
    ]);
    // First attempts in the last hour: 48 + 20 + 10, of which 2 waited more than 30 s.
    expect(body.platform.first_attempt_wait_ms.count).toBe(78);
    expect(body.platform.slo).toMatchObject({
      objective: 0.999,
      threshold_ms: 30_000,
      first_attempts: 78,
      within_threshold: 76,
    });
    expect(body.platform.slo.burn_rate['1h']).toBeCloseTo(2 / 78 / 0.001, 3);
    expect(body.platform.slo.burn_rate['5m']).toBe(0);
    expect(body.platform.slo.error_budget_remaining).toBeCloseTo(1 - 2 / (0.001 * 78), 3);
    expect(body.platform.retries).toMatchObject({ due: 1 });
    expect(body.platform.retries.oldest_due_age_ms).toBeGreaterThanOrEqual(5_000);
    expect(body.platform.consumer_lag).toMatchObject({ total_records: 0 });
    expect(body.platform.projector_lag).toMatchObject({ total_records: 0 });
    expect(body.platform.dead_letters).toEqual({ in_window: 0, retained: 0 });
    expect(body.platform.internal_errors).toEqual({ count: 1 });
  });

  it('gives the operator the same sums over 24 h, whole hours read from hour rows, edges from minute rows', async () => {
    const { body } = await get<OperatorHealthView>('/api/v1/operator/health?window=24h&limit=2');
    const endpoint = await get<EndpointHealthView>(
      `/api/v1/accounts/1/webhooks/${failing}/health?window=24h`,
    );
    expect(body.least_healthy[0]).toMatchObject({
      webhook_id: failing,
      counts: { attempts: 25, delivered: 5, retried_5xx: 20 },
    });
    expect(body.least_healthy[0].counts).toEqual(endpoint.body.counts);
    expect(body.platform.first_attempt_wait_ms.count).toBe(78); // the row of three hours ago has no publish times
    expect(body.platform.internal_errors).toEqual({ count: 1 });
  });

  it("answers 404 for another account's webhook, an unknown one and a non-id", async () => {
    for (const path of [
      `/api/v1/accounts/1/webhooks/${foreign}/health`,
      `/api/v1/accounts/1/webhooks/${randomUUID()}/health`,
      '/api/v1/accounts/1/webhooks/nope/health',
    ]) {
      const { status, body } = await get(path);
      expect(status).toBe(404);
      expect(body).toMatchObject({ error: 'not_found', problems: [] });
    }
    expect((await get(`/api/v1/accounts/2/webhooks/${foreign}/health`)).status).toBe(200);
  });

  it('refuses a bad window, series or limit with 400 naming the field', async () => {
    const bad = await get(`/api/v1/accounts/1/webhooks/${healthy}/health?window=2h&series=5s`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      error: 'bad_request',
      problems: [
        { field: 'window', message: 'window must be one of 5m, 1h, 24h, 7d, got "2h"' },
        { field: 'series', message: 'series must be one of 1m, 1h, got "5s"' },
      ],
    });
    expect((await get('/api/v1/accounts/1/health?window=1y')).status).toBe(400);
    expect((await get<{ problems: unknown[] }>('/api/v1/operator/health?limit=0')).body.problems).toEqual([
      { field: 'limit', message: 'limit must be an integer from 1 to 200, got "0"' },
    ]);
    expect((await get('/api/v1/accounts/x/health')).status).toBe(400);
  });

  it('needs the API token', async () => {
    expect((await ctx.api('GET', '/api/v1/operator/health', { token: null })).status).toBe(401);
    expect((await ctx.api('GET', '/api/v1/accounts/1/health', { token: 'wrong' })).status).toBe(401);
  });
});

describe('health API after real traffic', () => {
  let system: RunningSystem;
  const account = { id: 7, name: 'Account 7' };

  beforeAll(async () => {
    // Fast schedule: a hung request times out in 300 ms and its retry follows 300 ms (±20 %) later.
    system = await startSystem({ DELIVERY_TIMEOUT_MS: '300', RETRY_SCHEDULE_MS: '300,300,300' });
  });

  afterAll(() => system?.stop());

  it('counts 100 deliveries exactly: 85 first time, 10 after a 500, 5 after a timeout', async () => {
    const { receiver, publisher, dispatcher } = system;
    const hook = await createWebhook(dispatcher.baseUrl, account.id, receiver.url('/hook'), [
      'message_created',
    ]);
    const publish = (n: number) =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          publisher.publish({ ...exampleEvent('message_created', account), content: `m${i}` }),
        ),
      );
    await publish(85);
    await receiver.waitForRequests('/hook', 85);
    receiver.behave('/hook', { kind: 'status', code: 500 });
    await publish(10);
    await receiver.waitForRequests('/hook', 95);
    receiver.behave('/hook', { kind: 'hang' });
    await publish(5);
    await receiver.waitForRequests('/hook', 100);
    // Every retry, due 300 ms after its failure, finds the endpoint answering again.
    receiver.behave('/hook', { kind: 'ok' });

    const path = `/api/v1/accounts/${account.id}/webhooks/${hook.id}/health`;
    const health = await waitFor(
      'the rollups to count 100 deliveries',
      async () => {
        const { body } = await api<EndpointHealthView>(dispatcher.baseUrl, 'GET', path);
        return body.counts?.delivered === 100 && body.retries.pending === 0 ? body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(receiver.requests('/hook')).toHaveLength(115);
    expect(health).toMatchObject({
      counts: {
        attempts: 115,
        delivered: 100,
        failed: 0,
        retried_5xx: 10,
        throttled: 0,
        timeouts: 5,
        connection_errors: 0,
        dead: 0,
        deferred_breaker: 0,
        first_attempts: 100,
        first_attempt_delivered: 85,
      },
      success_ratio: 0.8696,
      first_attempt_success_ratio: 0.85,
      attempt_duration_ms: { count: 115 },
      end_to_end_ms: { count: 100 },
      first_attempt_wait_ms: { count: 100 },
      failing_since: null,
      breaker: { state: 'closed' },
      retries: { pending: 0, due: 0 },
      health_score: 0.8707,
    });
    // The timed-out attempts took the whole 300 ms; the end-to-end time of a retried one includes its wait.
    expect(health.attempt_duration_ms.max).toBeGreaterThanOrEqual(300);
    expect(health.end_to_end_ms.max).toBeGreaterThanOrEqual(500);

    const series = await api<EndpointSeriesView>(dispatcher.baseUrl, 'GET', `${path}?window=5m&series=1m`);
    expect(series.body.points).toHaveLength(5);
    expect(series.body.points.reduce((s, p) => s + p.attempts, 0)).toBe(115);
    expect(series.body.points.reduce((s, p) => s + p.delivered, 0)).toBe(100);

    const operator = await api<OperatorHealthView>(dispatcher.baseUrl, 'GET', '/api/v1/operator/health');
    expect(operator.body.least_healthy[0]).toMatchObject({ webhook_id: hook.id, account_id: account.id });
    expect(operator.body.platform.slo).toMatchObject({ first_attempts: 100, within_threshold: 100 });
    expect(operator.body.platform.first_attempt_wait_ms.count).toBe(100);
    await waitFor('the consumer and the projector to catch up', async () => {
      const { body } = await api<OperatorHealthView>(dispatcher.baseUrl, 'GET', '/api/v1/operator/health');
      const lag = body.platform.consumer_lag as { total_records: number };
      const projector = body.platform.projector_lag as { total_records: number };
      return lag.total_records === 0 && projector.total_records === 0;
    });
  });
});
