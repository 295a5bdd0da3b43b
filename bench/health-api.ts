// The health API under a realistic load of rollups: 10,000 webhooks (1,000 accounts of 10) with
// 7 days of rows in a schema of its own, then each route timed over repeated calls (p50/p99) beside
// two floors measured in the same run: a `SELECT 1` through the same pool, and an HTTP request the
// API refuses before any query (no token). It reports; it asserts nothing.
//
// The rows are sparse the way traffic is: 50 busy webhooks have a row every minute, 1,000 steady
// ones a row every hour with 5 busy minutes each, and the other 8,950 are active one hour in eight
// with a single minute of traffic. About 1.5 M minute rows and 360 k hour rows; 5 % of the webhooks
// are failing, some with open breakers and waiting retries.
//
// Part of `npm run bench` (scenario `health-api`); alone: `BENCH_SCENARIOS=health-api npm run bench`.
import { DataSource } from 'typeorm';
import { HealthApiModule } from '../apps/dispatcher/src/health/health-api.module';
import { HealthQueryRepository } from '../apps/dispatcher/src/health/health-query.repository';
import {
  cleanUpDispatcherEnv,
  DispatcherContext,
  dispatcherTestEnv,
} from '../test/support/dispatcher-context';
import { log } from './progress';
import { formatNumber, formatTable, summarizeLatencies, type LatencySummary } from './stats';

const ACCOUNTS = 1_000;
const PER_ACCOUNT = 10;
const WEBHOOKS = ACCOUNTS * PER_ACCOUNT;
const HOURS = 7 * 24;
const CALLS = 40;
const WARM_UP_CALLS = 5;

export interface HealthApiResult {
  scenario: 'health-api';
  webhooks: number;
  minuteRows: number;
  hourRows: number;
  loadSeconds: number;
  /** Per route: milliseconds per call, client to answer, over CALLS sequential calls. */
  routes: { route: string; latencyMs: LatencySummary }[];
  floors: { route: string; latencyMs: LatencySummary }[];
}

export async function healthApiScenario(): Promise<HealthApiResult> {
  const env = dispatcherTestEnv({ LOG_LEVEL: 'error' });
  const ctx = await DispatcherContext.start(env, { imports: [HealthApiModule] });
  try {
    const db = ctx.app.get(DataSource);
    const loadStart = Date.now();
    await load(db);
    const [{ minutes }] = await db.query<{ minutes: number }[]>(
      'SELECT count(*)::int AS minutes FROM endpoint_health_minute',
    );
    const [{ hours }] = await db.query<{ hours: number }[]>(
      'SELECT count(*)::int AS hours FROM endpoint_health_hour',
    );
    const loadSeconds = (Date.now() - loadStart) / 1000;
    log(
      `health-api: loaded ${formatNumber(minutes)} minute and ${formatNumber(hours)} hour rows in ${Math.round(loadSeconds)} s`,
    );

    const busy = webhookId(0); // a row every minute
    const failing = webhookId(20); // failing, breaker open
    const accountOfBusy = 1;
    const get = (path: string, token?: null) => async () => {
      const response = await ctx.api('GET', path, token === null ? { token: null } : {});
      if (response.status !== (token === null ? 401 : 200))
        throw new Error(`GET ${path} answered ${response.status}: ${response.text.slice(0, 300)}`);
    };
    const endpoint = `/api/v1/accounts/${accountOfBusy}/webhooks/${busy}/health`;
    const routes: [string, () => Promise<void>][] = [
      ['endpoint, busy webhook, window=5m', get(`${endpoint}?window=5m`)],
      ['endpoint, busy webhook, window=1h', get(`${endpoint}?window=1h`)],
      ['endpoint, busy webhook, window=24h', get(`${endpoint}?window=24h`)],
      ['endpoint, busy webhook, window=7d', get(`${endpoint}?window=7d`)],
      ['endpoint, failing webhook, window=1h', get(`/api/v1/accounts/3/webhooks/${failing}/health`)],
      ['endpoint series=1m, window=24h (1,440 points)', get(`${endpoint}?window=24h&series=1m`)],
      ['endpoint series=1h, window=7d (168 points)', get(`${endpoint}?window=7d&series=1h`)],
      ['account (10 webhooks), window=1h', get(`/api/v1/accounts/${accountOfBusy}/health?window=1h`)],
      ['account (10 webhooks), window=24h', get(`/api/v1/accounts/${accountOfBusy}/health?window=24h`)],
      ['account (10 webhooks), window=7d', get(`/api/v1/accounts/${accountOfBusy}/health?window=7d`)],
      ['operator, 20 least healthy, window=5m', get('/api/v1/operator/health?window=5m')],
      ['operator, 20 least healthy, window=1h', get('/api/v1/operator/health?window=1h')],
      ['operator, 20 least healthy, window=24h', get('/api/v1/operator/health?window=24h')],
      ['operator, 20 least healthy, window=7d', get('/api/v1/operator/health?window=7d')],
    ];
    const repository = ctx.app.get(HealthQueryRepository);
    const floors: [string, () => Promise<void>][] = [
      ['floor: SELECT 1 through the same pool', () => repository.ping()],
      ['floor: HTTP request refused before any query (401)', get('/api/v1/operator/health', null)],
    ];
    return {
      scenario: 'health-api',
      webhooks: WEBHOOKS,
      minuteRows: minutes,
      hourRows: hours,
      loadSeconds,
      floors: await timeAll(floors),
      routes: await timeAll(routes),
    };
  } finally {
    await ctx.close();
    await cleanUpDispatcherEnv(env);
  }
}

async function timeAll(calls: [string, () => Promise<void>][]) {
  const results: { route: string; latencyMs: LatencySummary }[] = [];
  for (const [route, call] of calls) {
    for (let i = 0; i < WARM_UP_CALLS; i++) await call();
    const times: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const start = process.hrtime.bigint();
      await call();
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    results.push({ route, latencyMs: summarizeLatencies(times) });
    log(`health-api: ${route}: p50 ${times.length ? summarizeLatencies(times).p50?.toFixed(1) : '?'} ms`);
  }
  return results;
}

export function healthApiTable(r: HealthApiResult): string {
  const ms = (v: number | null) => formatNumber(v, 1);
  return [
    `health-api: ${formatNumber(r.webhooks)} webhooks, ${formatNumber(r.minuteRows)} minute rows, ${formatNumber(r.hourRows)} hour rows (loaded in ${Math.round(r.loadSeconds)} s); ${CALLS} calls per route`,
    formatTable([
      ['route', 'p50 ms', 'p99 ms', 'max ms'],
      ...[...r.floors, ...r.routes].map((x) => [
        x.route,
        ms(x.latencyMs.p50),
        ms(x.latencyMs.p99),
        ms(x.latencyMs.max),
      ]),
    ]),
  ].join('\n');
}

/** The webhook ids are derived from their number, so the bench can name them without reading them back. */
function webhookId(i: number): string {
  const hex = i.toString(16).padStart(12, '0');
  return `0b0b0000-0000-4000-8000-${hex}`;
}
const ID_SQL = (i: string) => `('0b0b0000-0000-4000-8000-' || lpad(to_hex(${i}), 12, '0'))::uuid`;

// Webhook i belongs to account i / 10 + 1. Busy: i % 200 = 0; steady: i % 10 = 1; failing: i % 20 = 0
// (with the busy ones among them), breaker open for the failing among the steady ones.
async function load(db: DataSource): Promise<void> {
  log(`health-api: loading ${formatNumber(WEBHOOKS)} webhooks`);
  await db.query(
    `INSERT INTO webhooks (id, account_id, name, url, subscriptions, secret, version)
     SELECT ${ID_SQL('i')}, i / ${PER_ACCOUNT} + 1, 'hook ' || i, 'https://example.com/hooks/' || i,
            ARRAY['message_created'], 'whsec_bench', 1
       FROM generate_series(0, ${WEBHOOKS - 1}) AS i`,
  );
  // One anchor for every statement: a minute passing between two days' inserts must not shift them.
  const [{ anchor }] = await db.query<{ anchor: string }[]>(
    `SELECT to_char(date_trunc('minute', now()) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS anchor`,
  );
  const minuteNow = `'${anchor}'::timestamptz`;
  const hourNow = `date_trunc('hour', ${minuteNow})`;
  // Columns of a row from its webhook (i), a seed (s) and its length of traffic (n attempts).
  const row = (bucket: string, scale: number) => `
    SELECT ${bucket} AS bucket, ${ID_SQL('i')} AS webhook_id, i / ${PER_ACCOUNT} + 1 AS account_id,
      n AS attempts, n - f AS delivered, f / 4 AS failed, f - f / 4 - f / 8 AS retried_5xx, 0 AS throttled,
      f / 8 AS timeouts, 0 AS connection_errors, 0 AS deferred_breaker, f / 16 AS dead,
      n * 9 / 10 AS first_attempts, (n - f) * 9 / 10 AS first_attempt_delivered,
      ARRAY[n / 4, n / 4, n / 8, n / 8, n / 16, n / 16, n / 32, 0, 0, f / 8]::int[] AS duration_buckets,
      n * 80::bigint AS duration_sum_ms, CASE WHEN f > 0 THEN 5000 ELSE 900 END AS duration_max_ms,
      ARRAY[(n - f) / 2, (n - f) / 4, (n - f) / 8, (n - f) / 16, 0, 0, 0, 0, f / 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]::int[] AS e2e_buckets,
      n - f AS e2e_count, (n - f) * 400::bigint AS e2e_sum_ms, CASE WHEN f > 0 THEN 60000 ELSE 3000 END AS e2e_max_ms,
      ARRAY[greatest(n * 9 / 10 - s % 2, 0), 0, 0, 0, 0, 0, 0, 0, s % 2, 0, 0]::int[] AS wait_buckets, n * 9 / 10 AS wait_count,
      CASE WHEN f < n THEN ${bucket} + interval '${scale} seconds' END AS last_success_at,
      CASE WHEN f > 0 THEN ${bucket} + interval '${scale + 1} seconds' END AS last_failure_at`;
  const traffic = `(1 + (i * 7 + s) % 40) * CASE WHEN i % 200 = 0 THEN 5 ELSE 1 END`;
  const failures = (n: string) =>
    `CASE WHEN i % 20 = 0 THEN ${n} * 3 / 4 WHEN (i + s) % 50 = 0 THEN 1 ELSE 0 END`;

  log('health-api: loading hour rows (7 days)');
  await db.query(
    `INSERT INTO endpoint_health_hour
     SELECT r.* FROM generate_series(0, ${WEBHOOKS - 1}) AS i, generate_series(0, ${HOURS - 1}) AS h,
       LATERAL (SELECT h AS s) AS t0,
       LATERAL (SELECT ${traffic} * 20 AS n) AS t1,
       LATERAL (SELECT ${failures('n')} AS f) AS t,
       LATERAL (${row(`${hourNow} - h * interval '1 hour'`, 1800)}) AS r
      WHERE i % 200 = 0 OR i % 10 = 1 OR (i + h) % 8 = 0`,
  );
  for (let day = 0; day < 7; day++) {
    log(`health-api: loading minute rows, day ${day + 1}/7`);
    // Minutes of the hours of this day: busy webhooks every minute, steady ones 5 per hour, the rest 1 per active hour.
    await db.query(
      `INSERT INTO endpoint_health_minute
       SELECT r.* FROM generate_series(0, ${WEBHOOKS - 1}) AS i, generate_series(${day * 24}, ${day * 24 + 23}) AS h,
         generate_series(0, 59) AS m,
         LATERAL (SELECT h * 60 + m AS s) AS t0,
         LATERAL (SELECT ${traffic} AS n) AS t1,
         LATERAL (SELECT ${failures('n')} AS f) AS t,
         LATERAL (${row(`${minuteNow} - (h * 60 + m) * interval '1 minute'`, 30)}) AS r
        WHERE i % 200 = 0
           OR (i % 10 = 1 AND (m - (i * 7 + h * 13) % 12) % 12 = 0 AND m < 60)
           OR ((i + h) % 8 = 0 AND m = (i * 7 + h) % 60)`,
    );
  }
  log('health-api: breaker states, waiting retries, VACUUM ANALYZE');
  await db.query(
    `INSERT INTO webhook_state_events (source_partition, source_offset, kind, webhook_id, account_id, state, at)
     SELECT 0, i, 'breaker_state', ${ID_SQL('i')}, i / ${PER_ACCOUNT} + 1,
            CASE WHEN i % 40 = 0 THEN 'open' ELSE 'closed' END, now() - (i % 600) * interval '1 second'
       FROM generate_series(0, ${WEBHOOKS - 1}, 4) AS i`,
  );
  await db.query(
    `INSERT INTO scheduled_retries (delivery_id, event_id, webhook_id, account_id, event_type, attempt, body, due_at)
     SELECT gen_random_uuid(), gen_random_uuid(), ${ID_SQL('(k % 500) * 20')}, (k % 500) * 20 / ${PER_ACCOUNT} + 1,
            'message_created', 2, '{}', now() + ((k % 120) - 10) * interval '1 minute'
       FROM generate_series(1, 20000) AS k`,
  );
  await db.query(
    'VACUUM ANALYZE endpoint_health_minute, endpoint_health_hour, webhooks, webhook_state_events, scheduled_retries',
  );
}

if (require.main === module) {
  healthApiScenario().then(
    (r) => {
      process.stdout.write(`\n${healthApiTable(r)}\n\n`);
      process.exit(0);
    },
    (error: Error) => {
      process.stderr.write(`health-api bench failed: ${error.stack ?? error.message}\n`);
      process.exit(1);
    },
  );
}
