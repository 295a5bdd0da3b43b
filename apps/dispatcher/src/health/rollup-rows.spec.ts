import {
  ATTEMPT_DURATION_BOUNDS_MS,
  END_TO_END_BOUNDS_MS,
  FIRST_ATTEMPT_WAIT_BOUNDS_MS,
} from './health-buckets';
import {
  bucketStart,
  emptyRollup,
  mergeRollups,
  outcomeColumn,
  rollupHorizon,
  toHourRollups,
  toMinuteRollups,
  type RollupAttempt,
  type RollupDeferral,
} from './rollup-rows';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const T0 = Date.UTC(2024, 0, 15, 10, 0, 0);

function at(ms: number): Date {
  return new Date(T0 + ms);
}

function attempt(overrides: Partial<RollupAttempt> = {}): RollupAttempt {
  return {
    webhook_id: A,
    account_id: 11,
    attempt: 1,
    outcome: 'delivered',
    failure_class: null,
    duration_ms: 30,
    started_at: at(1_000),
    finished_at: at(1_030),
    event_published_at: at(900),
    // Only a first attempt made straight from the stream is the delivery's first dispatch.
    routed_at: (overrides.attempt ?? 1) === 1 ? at(1_000) : null,
    ...overrides,
  };
}

function deferral(overrides: Partial<RollupDeferral> = {}): RollupDeferral {
  return {
    webhook_id: A,
    account_id: 11,
    reason: 'breaker_open',
    at: at(2_000),
    routed_at: null,
    event_published_at: null,
    ...overrides,
  };
}

describe('outcomeColumn', () => {
  it.each([
    ['delivered', null, 'delivered'],
    ['delivered', 'timeout', 'delivered'],
    ['retrying', 'timeout', 'timeouts'],
    ['dead', 'connection', 'connection_errors'],
    ['retrying', 'http_5xx', 'retried_5xx'],
    ['retrying', 'throttled', 'throttled'],
    ['failed', 'http_4xx', 'failed'],
    ['failed', 'gone', 'failed'],
    ['failed', 'redirect', 'failed'],
    ['failed', 'internal', 'failed'],
    ['failed', null, 'failed'],
  ] as const)('%s with class %p counts as %s', (outcome, failureClass, column) => {
    expect(outcomeColumn(outcome, failureClass)).toBe(column);
  });
});

describe('bucketStart', () => {
  it('truncates to the minute and to the hour, in UTC', () => {
    const time = new Date('2024-01-15T10:37:42.123Z');
    expect(bucketStart(time, 'minute')).toEqual(new Date('2024-01-15T10:37:00Z'));
    expect(bucketStart(time, 'hour')).toEqual(new Date('2024-01-15T10:00:00Z'));
    expect(bucketStart(new Date('2024-01-15T10:00:00Z'), 'hour')).toEqual(new Date('2024-01-15T10:00:00Z'));
  });
});

describe('toMinuteRollups', () => {
  it('counts a delivered first attempt: outcome, first attempt, duration, end-to-end and wait buckets', () => {
    const [row] = toMinuteRollups([attempt()]);
    const duration = emptyRollup(A, 11, at(0)).duration_buckets;
    duration[2] = 1; // 30 ms: (25, 50]
    const e2e = emptyRollup(A, 11, at(0)).e2e_buckets;
    e2e[1] = 1; // 130 ms: (100, 250]
    const wait = emptyRollup(A, 11, at(0)).wait_buckets;
    wait[0] = 1; // 100 ms: [0, 100]
    expect(row).toEqual({
      ...emptyRollup(A, 11, at(0)),
      attempts: 1,
      delivered: 1,
      first_attempts: 1,
      first_attempt_delivered: 1,
      duration_buckets: duration,
      duration_sum_ms: 30,
      duration_max_ms: 30,
      e2e_buckets: e2e,
      e2e_count: 1,
      e2e_sum_ms: 130,
      e2e_max_ms: 130,
      wait_buckets: wait,
      wait_count: 1,
      last_success_at: at(1_030),
    });
  });

  it('has arrays one longer than their bounds', () => {
    const row = emptyRollup(A, 11, at(0));
    expect(row.duration_buckets).toHaveLength(ATTEMPT_DURATION_BOUNDS_MS.length + 1);
    expect(row.e2e_buckets).toHaveLength(END_TO_END_BOUNDS_MS.length + 1);
    expect(row.wait_buckets).toHaveLength(FIRST_ATTEMPT_WAIT_BOUNDS_MS.length + 1);
  });

  it('counts each failure in its class, dead ones also as dead, and only first attempts wait', () => {
    const [row] = toMinuteRollups([
      attempt({ outcome: 'retrying', failure_class: 'http_5xx', finished_at: at(5_000) }),
      attempt({ attempt: 2, outcome: 'retrying', failure_class: 'timeout', duration_ms: 5_000 }),
      attempt({ attempt: 3, outcome: 'dead', failure_class: 'connection', duration_ms: 7_000 }),
      attempt({ attempt: 2, outcome: 'failed', failure_class: 'gone' }),
      attempt({ attempt: 2, outcome: 'retrying', failure_class: 'throttled', finished_at: at(4_000) }),
    ]);
    expect(row).toMatchObject({
      attempts: 5,
      delivered: 0,
      failed: 1,
      retried_5xx: 1,
      throttled: 1,
      timeouts: 1,
      connection_errors: 1,
      dead: 1,
      first_attempts: 1,
      first_attempt_delivered: 0,
      wait_count: 1,
      e2e_count: 0,
      duration_sum_ms: 30 + 5_000 + 7_000 + 30 + 30,
      duration_max_ms: 7_000,
      last_success_at: null,
      last_failure_at: at(5_000),
    });
    // 5,000 ms is the last bound's bucket; 7,000 ms is above every bound.
    expect(row.duration_buckets.slice(-2)).toEqual([1, 1]);
  });

  it('counts internal errors under failed and again in internal_errors, and merges them into the hour', () => {
    const minutes = toMinuteRollups([
      attempt({ outcome: 'failed', failure_class: 'internal' }),
      attempt({ attempt: 2, outcome: 'dead', failure_class: 'internal', finished_at: at(61_000) }),
      attempt({ attempt: 2, outcome: 'failed', failure_class: 'http_4xx' }),
    ]);
    expect(minutes.map((r) => [r.attempts, r.failed, r.dead, r.internal_errors])).toEqual([
      [2, 2, 0, 1],
      [1, 1, 1, 1],
    ]);
    expect(toHourRollups(minutes)[0]).toMatchObject({ attempts: 3, failed: 3, internal_errors: 2 });
  });

  it('counts the platform wait once per delivery, to its routing: a deferral from the stream, not the later attempt', () => {
    const [row] = toMinuteRollups(
      [attempt({ routed_at: null, started_at: at(40_000), finished_at: at(40_030) })], // from the retry store
      [deferral({ routed_at: at(1_500), event_published_at: at(900) })], // the breaker was open
    );
    expect(row).toMatchObject({ first_attempts: 1, wait_count: 1, deferred_breaker: 1 });
    expect(row.wait_buckets[FIRST_ATTEMPT_WAIT_BOUNDS_MS.indexOf(1_000)]).toBe(1); // 600 ms, not 39 s
  });

  it('leaves latency out when the publish time is unknown (a redelivery), and never goes negative', () => {
    const [row] = toMinuteRollups([
      attempt({ event_published_at: null }),
      attempt({ event_published_at: at(5_000) }), // the producer's clock ahead of ours
    ]);
    expect(row).toMatchObject({ e2e_count: 1, e2e_sum_ms: 0, e2e_max_ms: 0, wait_count: 1 });
    expect(row.e2e_buckets[0]).toBe(1);
    expect(row.wait_buckets[0]).toBe(1);
  });

  it('measures end-to-end latency of a late retry in the hours', () => {
    const [row] = toMinuteRollups([
      attempt({ attempt: 5, event_published_at: at(-3 * 3_600_000), finished_at: at(1_000) }),
    ]);
    expect(row.e2e_max_ms).toBe(3 * 3_600_000 + 1_000);
    expect(row.e2e_buckets[END_TO_END_BOUNDS_MS.indexOf(21_600_000)]).toBe(1);
    expect(row.first_attempts).toBe(0);
  });

  it('counts breaker deferrals but not full-lane ones, in the minute they happened', () => {
    const rows = toMinuteRollups(
      [],
      [deferral(), deferral({ at: at(61_000) }), deferral({ reason: 'endpoint_queue_full' })],
    );
    expect(rows.map((r) => [r.bucket, r.deferred_breaker, r.attempts])).toEqual([
      [at(0), 1, 0],
      [at(60_000), 1, 0],
    ]);
  });

  it('gives one row per webhook and minute, in (webhook, bucket) order', () => {
    const rows = toMinuteRollups([
      attempt({ webhook_id: B, account_id: 12, finished_at: at(120_500) }),
      attempt({ finished_at: at(60_000) }),
      attempt({ finished_at: at(59_999) }),
      attempt({ finished_at: at(119_999) }),
    ]);
    expect(rows.map((r) => [r.webhook_id, r.account_id, r.bucket, r.attempts])).toEqual([
      [A, 11, at(0), 1],
      [A, 11, at(60_000), 2],
      [B, 12, at(120_000), 1],
    ]);
  });
});

describe('mergeRollups and toHourRollups', () => {
  const attempts: RollupAttempt[] = [
    attempt(),
    attempt({ outcome: 'retrying', failure_class: 'http_5xx', duration_ms: 900, finished_at: at(61_000) }),
    attempt({ attempt: 2, duration_ms: 4_000, finished_at: at(3_540_000) }),
    attempt({ finished_at: at(3_600_000) }), // the next hour
  ];

  it('adds the minutes of each hour up: sums, buckets, maxima, latest times', () => {
    const minutes = toMinuteRollups(attempts, [deferral()]);
    expect(minutes).toHaveLength(4);
    const hours = toHourRollups(minutes);
    expect(hours.map((h) => h.bucket)).toEqual([at(0), at(3_600_000)]);
    const [first] = hours;
    expect(first).toMatchObject({
      attempts: 3,
      delivered: 2,
      retried_5xx: 1,
      deferred_breaker: 1,
      first_attempts: 2,
      duration_sum_ms: 30 + 900 + 4_000,
      duration_max_ms: 4_000,
      last_success_at: at(3_540_000),
      last_failure_at: at(61_000),
    });
    const sum = (counts: number[]) => counts.reduce((n, c) => n + c, 0);
    expect(sum(first.duration_buckets)).toBe(3);
    expect(sum(first.e2e_buckets)).toBe(first.e2e_count);
    expect(first.e2e_count).toBe(2);
    expect(sum(first.wait_buckets)).toBe(2);
  });

  it('merges in any order to the same row', () => {
    const [x, y] = toMinuteRollups(attempts.slice(0, 2));
    const base = emptyRollup(A, 11, at(0));
    expect(mergeRollups(mergeRollups(base, x), y)).toEqual(mergeRollups(mergeRollups(base, y), x));
  });
});

describe('rollupHorizon', () => {
  it('is the raw retention ago, plus an hour of margin for clock skew', () => {
    expect(rollupHorizon(new Date('2024-01-15T10:00:00Z'), 7 * 86_400_000)).toEqual(
      new Date('2024-01-08T11:00:00Z'),
    );
  });
});
