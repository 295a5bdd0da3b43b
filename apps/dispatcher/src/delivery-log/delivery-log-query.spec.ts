import {
  DEFAULT_PAGE_SIZE,
  decodeCursor,
  encodeCursor,
  parseDeliveryListQuery,
  parseIsoTime,
  parseRedeliverSince,
} from './delivery-log-query';

const cursor = {
  firstAttemptAt: '2024-01-15T10:30:00.123456Z',
  deliveryId: '11111111-1111-4111-8111-111111111111',
};

function refusal(query: Record<string, unknown>): string {
  const parsed = parseDeliveryListQuery(query);
  if (parsed.ok) throw new Error(`expected ${JSON.stringify(query)} to be refused`);
  return parsed.message;
}

describe('parseDeliveryListQuery', () => {
  it('defaults to the first page of 50, unfiltered', () => {
    expect(parseDeliveryListQuery({})).toEqual({
      ok: true,
      value: {
        outcomes: null,
        eventTypes: null,
        since: null,
        until: null,
        limit: DEFAULT_PAGE_SIZE,
        after: null,
      },
    });
  });

  it('reads every filter', () => {
    const parsed = parseDeliveryListQuery({
      outcome: 'failed,dead',
      event_type: 'message_created',
      since: '2024-01-15',
      until: '2024-01-15T12:00:00+01:00',
      limit: '200',
      cursor: encodeCursor(cursor),
    });
    expect(parsed).toEqual({
      ok: true,
      value: {
        outcomes: ['failed', 'dead'],
        eventTypes: ['message_created'],
        since: new Date('2024-01-15T00:00:00Z'),
        until: new Date('2024-01-15T11:00:00Z'),
        limit: 200,
        after: cursor,
      },
    });
  });

  it('takes a repeated list parameter as a list, without duplicates', () => {
    const parsed = parseDeliveryListQuery({ outcome: ['failed', 'dead,failed'] });
    expect(parsed.ok && parsed.value.outcomes).toEqual(['failed', 'dead']);
  });

  it.each([
    [{ outcome: 'lost' }, 'outcome must be one or more of delivered, retrying, failed, dead; got "lost"'],
    [
      { outcome: '' },
      'outcome is empty; give one or more of delivered, retrying, failed, dead, or leave it out',
    ],
    [{ event_type: 'contact_created' }, 'event_type must be one or more of conversation_created, '],
    [
      { since: 'yesterday' },
      'since must be an ISO-8601 time with a zone, e.g. 2024-01-15T10:30:00Z (or a date, 2024-01-15), got "yesterday"',
    ],
    [{ until: '2024-01-15T10:30:00' }, 'until must be an ISO-8601 time with a zone'],
    [{ since: '2024-02-30T00:00:00Z' }, 'since must be an ISO-8601 time'],
    [{ since: '2024-01-16', until: '2024-01-15' }, 'since must be earlier than until'],
    [{ limit: '0' }, 'limit must be an integer from 1 to 200, got "0"'],
    [{ limit: '201' }, 'limit must be an integer from 1 to 200, got "201"'],
    [{ limit: '5.5' }, 'limit must be an integer from 1 to 200'],
    [{ limit: ['5', '6'] }, 'limit may be given once'],
    [
      { cursor: 'garbage' },
      'cursor is not one this API returned; pass next_cursor from the previous page unchanged',
    ],
    [
      { status: 'failed' },
      'unknown query parameter "status"; the filters are outcome, event_type, since, until, limit, cursor',
    ],
    [
      { status: 'failed', sort: 'asc' },
      'unknown query parameter "status", "sort"; the filters are outcome, event_type, since, until, limit, cursor',
    ],
    [{ since: '2024-01-16', until: '2024-01-15', outcome: 'lost' }, 'since must be earlier than until'],
    [{ limit: '0000' }, 'limit must be an integer from 1 to 200, got "0000"'],
    [
      { outcome: { a: '1' } },
      'outcome must be one or more of delivered, retrying, failed, dead; got an object',
    ],
  ])('refuses %p with a message naming the parameter', (query, message) => {
    expect(refusal(query)).toContain(message);
  });
});

describe('cursors', () => {
  it('round-trip', () => {
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it('are opaque to clients (no JSON in the query string)', () => {
    expect(encodeCursor(cursor)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    Buffer.from('[1,2]').toString('base64url'),
    Buffer.from('["2024-01-15T10:30:00Z","11111111-1111-4111-8111-111111111111"]').toString('base64url'),
    Buffer.from('["2024-01-15T10:30:00.123456Z","not-a-uuid"]').toString('base64url'),
    '!!!',
  ])('that were not made here are refused (%s)', (raw) => {
    expect(decodeCursor(raw)).toBeNull();
  });
});

describe('parseIsoTime', () => {
  it.each([
    ['2024-01-15', '2024-01-15T00:00:00.000Z'],
    ['2024-01-15T10:30Z', '2024-01-15T10:30:00.000Z'],
    ['2024-01-15T10:30:00.5-02:00', '2024-01-15T12:30:00.500Z'],
  ])('reads %s', (raw, iso) => {
    expect(parseIsoTime(raw)?.toISOString()).toBe(iso);
  });

  it.each(['2024-01-15T10:30:00', '15/01/2024', '2024-01-15 10:30:00Z', ''])('refuses %p', (raw) => {
    expect(parseIsoTime(raw)).toBeNull();
  });
});

describe('parseRedeliverSince', () => {
  it('reads since', () => {
    expect(parseRedeliverSince({ since: '2024-01-15T10:00:00Z' })).toEqual({
      ok: true,
      value: new Date('2024-01-15T10:00:00Z'),
    });
  });

  it.each([
    [undefined, 'the body must be a JSON object'],
    [[], 'the body must be a JSON object'],
    [{}, 'since is required: send {"since": "<ISO-8601 time>"}'],
    [
      { since: 'last week' },
      'since must be an ISO-8601 time with a zone, e.g. 2024-01-15T10:30:00Z (or a date, 2024-01-15), got "last week"',
    ],
    [{ since: 1705312800 }, 'since must be an ISO-8601 time with a zone'],
    [{ since: '2024-01-15', outcome: 'dead' }, 'unknown field "outcome"'],
  ])('refuses %p', (body, message) => {
    const parsed = parseRedeliverSince(body);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toContain(message);
  });
});

describe('hostile input', () => {
  const encoded = (at: string) =>
    Buffer.from(JSON.stringify([at, '11111111-1111-4111-8111-111111111111'])).toString('base64url');

  it.each([
    '0000-01-01T00:00:00.000000Z',
    '2024-02-30T00:00:00.000000Z',
    '2024-01-01T24:00:00.000000Z',
    '2024-01-01T23:59:60.000000Z',
  ])('refuses a cursor at %s, which Postgres would not take back', (at) => {
    expect(decodeCursor(encoded(at))).toBeNull();
  });

  it('keeps a cursor at a real instant', () => {
    expect(decodeCursor(encoded('2024-02-29T23:59:59.999999Z'))).toMatchObject({
      firstAttemptAt: '2024-02-29T23:59:59.999999Z',
    });
  });

  it('refuses a since nested thousands deep without serialising it', () => {
    const since = JSON.parse('['.repeat(10_000) + ']'.repeat(10_000)) as unknown;
    expect(parseRedeliverSince({ since })).toEqual({
      ok: false,
      message: expect.stringMatching(/^since must be an ISO-8601 time .*, got an array$/),
    });
  });

  it('quotes at most a prefix of a huge parameter', () => {
    expect(refusal({ since: 'x'.repeat(100_000) }).length).toBeLessThan(300);
  });
});
