import type {
  AttemptRecord,
  BreakerStateRecord,
  DeferralRecord,
  DeliveryTopicRecord,
  WebhookStateRecord,
} from '@vowchat/events';
import {
  decodeDeliveryRecord,
  derivedFailureClass,
  mergeDelivery,
  toProjectionRows,
  type PositionedRecord,
} from './projection-rows';

const DELIVERY = '11111111-1111-4111-8111-111111111111';
const WEBHOOK = '22222222-2222-4222-8222-222222222222';

function attempt(n: number, overrides: Partial<AttemptRecord> = {}): AttemptRecord {
  const started = new Date(Date.UTC(2024, 0, 15, 10, n, 0));
  return {
    kind: 'attempt',
    attempt_id: `00000000-0000-4000-8000-00000000000${n}`,
    delivery_id: DELIVERY,
    event_id: '33333333-3333-4333-8333-333333333333',
    webhook_id: WEBHOOK,
    account_id: 11,
    event_type: 'message_created',
    attempt: n,
    outcome: 'retrying',
    status_code: 500,
    duration_ms: 12,
    error: `HTTP 500 on attempt ${n}`,
    response_body: 'oops',
    next_attempt_at: new Date(started.getTime() + 60_000).toISOString(),
    started_at: started.toISOString(),
    finished_at: new Date(started.getTime() + 12).toISOString(),
    payload: null,
    ...overrides,
  };
}

const breaker: BreakerStateRecord = {
  kind: 'breaker_state',
  webhook_id: WEBHOOK,
  account_id: 11,
  state: 'open',
  at: '2024-01-15T10:00:00.000Z',
};
const disabled: WebhookStateRecord = {
  kind: 'webhook_state',
  webhook_id: WEBHOOK,
  account_id: 11,
  enabled: false,
  reason: 'endpoint answered 410 Gone',
  at: '2024-01-15T10:00:01.000Z',
};

function positioned(...records: DeliveryTopicRecord[]): PositionedRecord[] {
  return records.map((record, i) => ({ partition: 2, offset: String(100 + i), record }));
}

describe('decodeDeliveryRecord', () => {
  it.each([attempt(1), breaker, disabled])(
    'accepts a well-formed $kind record',
    (record: DeliveryTopicRecord) => {
      expect(decodeDeliveryRecord(Buffer.from(JSON.stringify(record)))).toEqual({ ok: true, record });
    },
  );

  it('accepts an attempt whose nullable fields are absent', () => {
    const { payload: _payload, response_body: _body, ...rest } = attempt(1);
    expect(decodeDeliveryRecord(JSON.stringify(rest)).ok).toBe(true);
  });

  it.each([
    [null, 'value is empty (null)'],
    ['not json{', 'value is not JSON'],
    ['[1,2]', 'value is not a JSON object'],
    ['{"kind":"mystery"}', 'unknown record kind "mystery"'],
  ])('refuses %p with a reason', (value, reason) => {
    const decoded = decodeDeliveryRecord(value);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.reason).toContain(reason);
  });

  it('names every field a column would refuse', () => {
    const bad = {
      ...attempt(1),
      attempt_id: 'nope',
      attempt: 0,
      outcome: 'lost',
      duration_ms: 1.5,
      finished_at: 'yesterday',
    };
    const decoded = decodeDeliveryRecord(JSON.stringify(bad));
    expect(decoded).toEqual({
      ok: false,
      reason:
        'invalid attempt record: attempt_id must be a UUID, got "nope"; attempt must be an integer from 1 to 2147483647, got 0; ' +
        'outcome must be one of delivered, retrying, failed, dead, got "lost"; ' +
        'duration_ms must be an integer from 0 to 2147483647, got 1.5; finished_at must be an ISO-8601 time, got "yesterday"',
    });
  });

  it('refuses an unknown event type and a breaker state it does not know', () => {
    expect(decodeDeliveryRecord(JSON.stringify({ ...attempt(1), event_type: 'contact_created' })).ok).toBe(
      false,
    );
    expect(decodeDeliveryRecord(JSON.stringify({ ...breaker, state: 'ajar' })).ok).toBe(false);
  });
});

describe('toProjectionRows', () => {
  it('maps an attempt to its row and to its delivery summary', () => {
    const record = attempt(1, {
      outcome: 'dead',
      next_attempt_at: null,
      payload: '{"event":"message_created"}',
    });
    const rows = toProjectionRows(positioned(record));

    expect(rows.attempts).toEqual([
      {
        attempt_id: record.attempt_id,
        delivery_id: DELIVERY,
        event_id: record.event_id,
        webhook_id: WEBHOOK,
        account_id: 11,
        event_type: 'message_created',
        attempt: 1,
        outcome: 'dead',
        status_code: 500,
        duration_ms: 12,
        error: 'HTTP 500 on attempt 1',
        response_body: 'oops',
        next_attempt_at: null,
        started_at: new Date(record.started_at),
        finished_at: new Date(record.finished_at),
        // Derived from the status: the record predates the field.
        failure_class: 'http_5xx',
        event_published_at: null,
        // Also derived: an older first attempt was timed to its start.
        routed_at: new Date(record.started_at),
      },
    ]);
    expect(rows.deliveries).toEqual([
      {
        delivery_id: DELIVERY,
        event_id: record.event_id,
        webhook_id: WEBHOOK,
        account_id: 11,
        event_type: 'message_created',
        outcome: 'dead',
        attempts: 1,
        last_status_code: 500,
        last_error: 'HTTP 500 on attempt 1',
        next_attempt_at: null,
        payload: '{"event":"message_created"}',
        first_attempt_at: new Date(record.started_at),
        last_attempt_at: new Date(record.finished_at),
      },
    ]);
    expect(rows.stateEvents).toEqual([]);
  });

  it('keeps one row per attempt id when a record is replayed', () => {
    const rows = toProjectionRows(positioned(attempt(1), attempt(2), attempt(1)));
    expect(rows.attempts.map((a) => a.attempt)).toEqual([1, 2]);
  });

  it('summarises a delivery by its latest attempt, whatever order the attempts arrive in', () => {
    const last = attempt(3, {
      outcome: 'failed',
      status_code: 400,
      error: 'HTTP 400',
      next_attempt_at: null,
      payload: 'body',
    });
    const inOrder = toProjectionRows(positioned(attempt(1), attempt(2), last)).deliveries;
    const shuffled = toProjectionRows(positioned(last, attempt(1), attempt(2))).deliveries;

    expect(shuffled).toEqual(inOrder);
    expect(inOrder).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        attempts: 3,
        last_status_code: 400,
        last_error: 'HTTP 400',
        next_attempt_at: null,
        payload: 'body',
        first_attempt_at: new Date(attempt(1).started_at),
        last_attempt_at: new Date(last.finished_at),
      }),
    ]);
  });

  it('breaks a tie on the attempt number by the later finish', () => {
    const early = attempt(2, { attempt_id: 'aaaaaaaa-0000-4000-8000-000000000000', outcome: 'retrying' });
    const late = attempt(2, {
      attempt_id: 'bbbbbbbb-0000-4000-8000-000000000000',
      outcome: 'delivered',
      finished_at: new Date(Date.parse(early.finished_at) + 1_000).toISOString(),
    });
    expect(toProjectionRows(positioned(late, early)).deliveries[0].outcome).toBe('delivered');
    expect(toProjectionRows(positioned(early, late)).deliveries[0].outcome).toBe('delivered');
  });

  it('keeps the payload of a terminal attempt when a later attempt carries none', () => {
    const dead = attempt(1, { outcome: 'dead', payload: 'body' });
    const redelivered = attempt(2, { outcome: 'delivered', status_code: 200, error: null, payload: null });
    const [delivery] = toProjectionRows(positioned(dead, redelivered)).deliveries;
    expect(delivery).toMatchObject({ outcome: 'delivered', attempts: 2, payload: 'body' });
  });

  it('turns breaker and webhook state records into state events keyed by their position', () => {
    const rows = toProjectionRows(positioned(breaker, disabled));
    expect(rows.stateEvents).toEqual([
      {
        source_partition: 2,
        source_offset: '100',
        kind: 'breaker_state',
        webhook_id: WEBHOOK,
        account_id: 11,
        state: 'open',
        reason: null,
        at: new Date(breaker.at),
      },
      {
        source_partition: 2,
        source_offset: '101',
        kind: 'webhook_state',
        webhook_id: WEBHOOK,
        account_id: 11,
        state: 'disabled',
        reason: 'endpoint answered 410 Gone',
        at: new Date(disabled.at),
      },
    ]);
  });

  it('replaces NUL characters, which Postgres text cannot hold', () => {
    const rows = toProjectionRows(positioned(attempt(1, { response_body: 'a\u0000b' })));
    expect(rows.attempts[0].response_body).toBe('a\uFFFDb');
  });

  it('replaces lone UTF-16 surrogates, which Postgres refuses in the JSON the rows travel in', () => {
    const rows = toProjectionRows(positioned(attempt(1, { error: 'x\ud800y', payload: '\udc00' })));
    expect(rows.attempts[0].error).toBe('x\uFFFDy');
    expect(rows.deliveries[0].payload).toBe('\uFFFD');
  });
});

describe('failure class and publish time', () => {
  it('keeps what the record says', () => {
    const [row] = toProjectionRows(
      positioned(
        attempt(1, {
          status_code: 200,
          error: 'timeout',
          failure_class: 'timeout',
          event_published_at: '2024-01-15T09:59:59.500Z',
        }),
      ),
    ).attempts;
    expect(row).toMatchObject({
      failure_class: 'timeout',
      event_published_at: new Date('2024-01-15T09:59:59.500Z'),
    });
  });

  it.each([
    ['delivered', 200, null, null],
    ['retrying', 503, 'http_5xx', 'http_5xx'],
    ['retrying', 429, 'http_429', 'throttled'],
    ['failed', 410, 'gone', 'gone'],
    ['failed', 302, 'redirect', 'redirect'],
    ['failed', 404, 'http_4xx', 'http_4xx'],
    ['retrying', null, 'connection_refused', 'connection'],
    ['dead', null, 'timeout', 'timeout'],
    ['retrying', 200, 'timeout', 'timeout'],
    ['failed', null, 'blocked_address', 'connection'],
    ['failed', null, 'internal error: boom', 'internal'],
    ['failed', 404, 'receiver answered 404 Not Found', 'http_4xx'],
  ] as const)(
    'derives it for an older %s record (status %p, error %p): %p',
    (outcome, status, error, expected) => {
      expect(derivedFailureClass(outcome, status, error)).toBe(expected);
      const {
        failure_class: _c,
        event_published_at: _p,
        ...older
      } = attempt(1, {
        outcome,
        status_code: status,
        error,
      });
      expect(toProjectionRows(positioned(older)).attempts[0].failure_class).toBe(expected);
    },
  );
});

describe('deferrals', () => {
  const deferral: DeferralRecord = {
    kind: 'deferral',
    deferral_id: '44444444-4444-4444-8444-44444444444A',
    delivery_id: DELIVERY,
    webhook_id: WEBHOOK,
    account_id: 11,
    event_type: 'message_created',
    attempt: 2,
    reason: 'breaker_open',
    at: '2024-01-15T10:00:02.000Z',
  };

  it('decodes a deferral and refuses one with an unknown reason', () => {
    expect(decodeDeliveryRecord(JSON.stringify(deferral))).toEqual({ ok: true, record: deferral });
    expect(decodeDeliveryRecord(JSON.stringify({ ...deferral, reason: 'bored' }))).toEqual({
      ok: false,
      reason:
        'invalid deferral record: reason must be one of breaker_open, endpoint_queue_full, rate_limited, got "bored"',
    });
  });

  it('refuses an attempt with an unknown failure class', () => {
    expect(decodeDeliveryRecord(JSON.stringify(attempt(1, { failure_class: 'cosmic' as never }))).ok).toBe(
      false,
    );
  });

  it('keeps one row per deferral id, lower-cased, with its time as a Date', () => {
    const rows = toProjectionRows(positioned(deferral, deferral));
    expect(rows.deferrals).toEqual([
      {
        deferral_id: deferral.deferral_id.toLowerCase(),
        delivery_id: DELIVERY,
        webhook_id: WEBHOOK,
        account_id: 11,
        event_type: 'message_created',
        attempt: 2,
        reason: 'breaker_open',
        at: new Date(deferral.at),
        routed_at: null,
        event_published_at: null,
      },
    ]);
    expect(rows.attempts).toEqual([]);
  });
});

describe('mergeDelivery', () => {
  it('never lets an older attempt overwrite a newer one, but takes its earlier start', () => {
    const [newer] = toProjectionRows(positioned(attempt(3, { outcome: 'delivered' }))).deliveries;
    const [older] = toProjectionRows(positioned(attempt(1))).deliveries;
    expect(mergeDelivery(newer, older)).toEqual({ ...newer, first_attempt_at: older.first_attempt_at });
    expect(mergeDelivery(older, newer)).toEqual({ ...newer, first_attempt_at: older.first_attempt_at });
  });
});
