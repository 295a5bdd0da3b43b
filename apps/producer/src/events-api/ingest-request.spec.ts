import { EVENT_TYPES, allExampleEvents, exampleEvent, vowChatEventSchema } from '@vowchat/events';
import {
  accountIdParamSchema,
  batchBodySchema,
  eventDepthSchema,
  parseAccountId,
  parseBatchRequest,
  parseEventRequest,
} from './ingest-request';

const account = { id: 11, name: 'My Company' };
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('parseEventRequest', () => {
  it.each(EVENT_TYPES)('accepts the example %s event of the path account', (type) => {
    const event = exampleEvent(type, account);
    expect(parseEventRequest('11', json(event))).toEqual({ ok: true, value: event });
  });

  it('keeps fields beyond the contract, so they are delivered as published', () => {
    const event = { ...exampleEvent('message_created', account), extra: { nested: [1, 2] } };
    expect(parseEventRequest('11', json(event))).toEqual({ ok: true, value: event });
  });

  it('accepts a body starting with a UTF-8 byte order mark', () => {
    const event = exampleEvent('conversation_typing_on', account);
    const result = parseEventRequest('11', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(event)]));
    expect(result).toEqual({ ok: true, value: event });
  });

  it.each(['0', '-1', 'abc', '1.5', '011', '9007199254740993'])('refuses the path account id %s', (param) => {
    expect(parseEventRequest(param, json(exampleEvent('message_created', account)))).toEqual({
      ok: false,
      error: {
        status: 400,
        body: {
          error: 'invalid_account_id',
          message: `The account id in the path must be a positive integer, got "${param}".`,
          problems: [],
        },
      },
    });
  });

  it('refuses a body that is not JSON, quoting the parser', () => {
    const result = parseEventRequest('11', Buffer.from('{"event": '));
    expect(result).toMatchObject({ ok: false, error: { status: 400, body: { error: 'invalid_json' } } });
    expect(!result.ok && result.error.body.message).toMatch(/^The request body is not valid JSON \(.+\)\.$/);
  });

  it.each([undefined, Buffer.alloc(0), '  '])('refuses an empty body (%p)', (body) => {
    expect(parseEventRequest('11', body)).toEqual({
      ok: false,
      error: {
        status: 400,
        body: {
          error: 'invalid_json',
          message: 'The request body is empty; send the event as a JSON object.',
          problems: [],
        },
      },
    });
  });

  it.each([
    ['null', 'null'],
    ['"text"', 'a string'],
    ['42', 'a number'],
  ])('refuses the non-object body %s', (body, type) => {
    expect(parseEventRequest('11', body)).toEqual({
      ok: false,
      error: {
        status: 400,
        body: {
          error: 'invalid_body',
          message: `The request body must be a JSON object holding one event, got ${type}.`,
          problems: [],
        },
      },
    });
  });

  it('points an array body at the batch route', () => {
    const result = parseEventRequest('11', json([exampleEvent('message_created', account)]));
    expect(!result.ok && result.error.body.message).toBe(
      'The request body must be a JSON object holding one event, got an array; post several events as {"events": [...]} to /api/v1/accounts/11/events/batch.',
    );
  });

  it('refuses an unknown event name with the field at fault', () => {
    const result = parseEventRequest(
      '11',
      json({ ...exampleEvent('message_created', account), event: 'contact_created' }),
    );
    expect(result).toEqual({
      ok: false,
      error: {
        status: 422,
        body: {
          error: 'unknown_event',
          message: `Unknown event: event is "contact_created"; must be one of ${EVENT_TYPES.join(', ')}.`,
          problems: [
            { field: 'event', message: `is "contact_created"; must be one of ${EVENT_TYPES.join(', ')}` },
          ],
        },
      },
    });
  });

  it('refuses an event that fails validation, naming every bad field', () => {
    const { sender: _sender, ...event } = exampleEvent('message_created', account);
    const result = parseEventRequest('11', json({ ...event, message_type: 'shout' }));
    expect(result).toEqual({
      ok: false,
      error: {
        status: 422,
        body: {
          error: 'invalid_event',
          message:
            'The message_created event is not valid: message_type must be one of incoming, outgoing, activity, template; sender is required.',
          problems: [
            { field: 'message_type', message: 'must be one of incoming, outgoing, activity, template' },
            { field: 'sender', message: 'is required' },
          ],
        },
      },
    });
  });

  it('refuses an event of another account, naming both ids', () => {
    expect(parseEventRequest('12', json(exampleEvent('message_created', account)))).toEqual({
      ok: false,
      error: {
        status: 422,
        body: {
          error: 'account_mismatch',
          message:
            'The path names account 12 but account.id in the body is 11; post the event to /api/v1/accounts/11/events or correct account.id.',
          problems: [{ field: 'account.id', message: 'is 11, but the path names account 12' }],
        },
      },
    });
  });

  it('reports an account mismatch beside other problems as an invalid event', () => {
    const result = parseEventRequest(
      '12',
      json({ ...exampleEvent('conversation_created', account), status: 'gone' }),
    );
    expect(result).toMatchObject({
      ok: false,
      error: {
        status: 422,
        body: {
          error: 'invalid_event',
          problems: [
            { field: 'status', message: 'must be one of open, resolved, pending, snoozed' },
            { field: 'account.id', message: 'is 11, but the path names account 12' },
          ],
        },
      },
    });
  });
});

describe('parseBatchRequest', () => {
  const events = allExampleEvents(account);

  it('accepts every example event in input order', () => {
    expect(parseBatchRequest('11', json({ events }), 500)).toEqual({ ok: true, value: events });
  });

  it('refuses the whole batch when one event is bad, prefixing its fields', () => {
    const bad = [...events];
    bad[2] = { ...events[2], account: { id: 'eleven', name: 'My Company' } } as never;
    expect(parseBatchRequest('11', json({ events: bad }), 500)).toEqual({
      ok: false,
      error: {
        status: 422,
        body: {
          error: 'invalid_event',
          message:
            '1 of 8 events were refused, so none was published: events[2].account.id must be a positive integer.',
          problems: [{ field: 'events[2].account.id', message: 'must be a positive integer' }],
        },
      },
    });
  });

  it('names a non-object item by its index', () => {
    const result = parseBatchRequest('11', json({ events: [events[0], 'oops'] }), 500);
    expect(result).toMatchObject({
      ok: false,
      error: { status: 422, body: { problems: [{ field: 'events[1]', message: 'must be a JSON object' }] } },
    });
  });

  it('uses unknown_event when every refused event has an unknown name', () => {
    const result = parseBatchRequest(
      '11',
      json({ events: [events[0], { ...events[1], event: 'nope' }] }),
      500,
    );
    expect(result).toMatchObject({ ok: false, error: { status: 422, body: { error: 'unknown_event' } } });
  });

  it('refuses events of another account, naming both ids', () => {
    const other = exampleEvent('message_created', { id: 12, name: 'Other' });
    expect(parseBatchRequest('11', json({ events: [events[0], other] }), 500)).toEqual({
      ok: false,
      error: {
        status: 422,
        body: {
          error: 'account_mismatch',
          message:
            "1 of 2 events belong to another account than the path's account 11, so none was published: events[1].account.id is 12, but the path names account 11.",
          problems: [{ field: 'events[1].account.id', message: 'is 12, but the path names account 11' }],
        },
      },
    });
  });

  it('mixes kinds of refusal under invalid_event', () => {
    const other = exampleEvent('message_created', { id: 12, name: 'Other' });
    const result = parseBatchRequest('11', json({ events: [{ event: 'nope' }, other] }), 500);
    expect(result).toMatchObject({ ok: false, error: { status: 422, body: { error: 'invalid_event' } } });
  });

  it.each([
    [
      [],
      'The request body must be a JSON object {"events": [...]}, got an array; wrap the array as {"events": [...]}.',
    ],
    ['x', 'The request body must be a JSON object {"events": [...]}, got a string.'],
    [null, 'The request body must be a JSON object {"events": [...]}, got null.'],
    [{}, 'The request body must be a JSON object {"events": [...]}; it has no "events" field.'],
    [{ other: 1 }, 'The request body must be a JSON object {"events": [...]}; it has no "events" field.'],
    [
      { a: 1, events: 5, b: 2 },
      'The request body has the unknown field "a"; a batch body holds only "events".',
    ],
    [{ events: {} }, '"events" must be an array of events, got an object.'],
    [{ events: [] }, '"events" is empty; send at least one event.'],
    [
      { events: [events[0]], extra: 1 },
      'The request body has the unknown field "extra"; a batch body holds only "events".',
    ],
    [
      events[0],
      'The request body looks like a single event; post it to /api/v1/accounts/11/events, or wrap it as {"events": [...]}.',
    ],
  ])('refuses the batch shape %j', (body, message) => {
    expect(parseBatchRequest('11', json(body), 500)).toEqual({
      ok: false,
      error: { status: 400, body: { error: 'invalid_body', message, problems: [] } },
    });
  });

  it('refuses more events than the limit', () => {
    expect(parseBatchRequest('11', json({ events }), 5)).toEqual({
      ok: false,
      error: {
        status: 400,
        body: {
          error: 'too_many_events',
          message: 'The batch holds 8 events, more than the limit of 5; split it into several requests.',
          problems: [],
        },
      },
    });
  });

  it('names an unknown field before counting the events', () => {
    expect(parseBatchRequest('11', json({ events, extra: 1 }), 5)).toMatchObject({
      ok: false,
      error: { status: 400, body: { error: 'invalid_body' } },
    });
  });

  it('checks the path and the JSON before the shape', () => {
    expect(parseBatchRequest('x', Buffer.from('{'), 5)).toMatchObject({
      ok: false,
      error: { body: { error: 'invalid_account_id' } },
    });
    expect(parseBatchRequest('11', Buffer.from('{'), 5)).toMatchObject({
      ok: false,
      error: { body: { error: 'invalid_json' } },
    });
  });
});

describe('parseAccountId', () => {
  it('reads a positive integer', () => {
    expect(parseAccountId('11')).toEqual({ ok: true, value: 11 });
  });
});

describe('the envelope schemas', () => {
  it('reads the path account id as a number', () => {
    expect(accountIdParamSchema.parse('9007199254740991')).toBe(9007199254740991);
    expect(accountIdParamSchema.safeParse('9007199254740992').success).toBe(false);
  });

  it('describes the batch body with the events’ schema for the document, without a configured limit', () => {
    const documented = batchBodySchema(vowChatEventSchema);
    const events = allExampleEvents(account);
    expect(documented.safeParse({ events: [...events, ...events, ...events] }).success).toBe(true);
    expect(documented.safeParse({ events: [{ event: 'nope' }] }).success).toBe(false);
  });

  it('names the container that nests too deep in the depth issue', () => {
    const result = eventDepthSchema(2).safeParse({ a: { b: [] } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({
      message: 'nests deeper than 2 levels; flatten it',
      params: { field: 'a.b' },
    });
  });
});

describe('limits on hostile bodies', () => {
  /** An example event with `extra` holding arrays nested `depth` levels. */
  function nestedEvent(depth: number): Buffer {
    const event = JSON.stringify(exampleEvent('message_created', account));
    return Buffer.from(`${event.slice(0, -1)},"extra":${'['.repeat(depth)}${']'.repeat(depth)}}`);
  }

  it('refuses an event nested 4,109 deep with 422 naming the field, before it is serialised', () => {
    const result = parseEventRequest('11', nestedEvent(4_109));
    expect(result).toMatchObject({
      ok: false,
      error: {
        status: 422,
        body: {
          error: 'invalid_event',
          problems: [
            { field: `extra${'[0]'.repeat(63)}`, message: 'nests deeper than 64 levels; flatten it' },
          ],
        },
      },
    });
    expect(!result.ok && result.error.body.message).toMatch(
      /^The message_created event is not valid: extra(\[0\])+ nests deeper than 64 levels; flatten it\.$/,
    );
  });

  it('takes its depth limit from the caller', () => {
    expect(parseEventRequest('11', nestedEvent(10)).ok).toBe(true);
    expect(parseEventRequest('11', nestedEvent(10), 8).ok).toBe(false);
  });

  it('names the deep event of a batch by its index', () => {
    const events = [exampleEvent('message_created', account), JSON.parse('[[[[[[[[[[]]]]]]]]]]') as unknown];
    expect(parseBatchRequest('11', json({ events }), 500, 8)).toMatchObject({
      ok: false,
      error: { status: 422, body: { problems: [{ field: 'events[1][0][0][0][0][0][0][0][0]' }] } },
    });
  });

  it('refuses a body that is not valid UTF-8 instead of replacing the bad bytes', () => {
    const event = Buffer.from(JSON.stringify(exampleEvent('message_created', account)));
    const at = event.indexOf('help');
    const bad = Buffer.concat([event.subarray(0, at), Buffer.from([0xff]), event.subarray(at)]);
    expect(parseEventRequest('11', bad)).toEqual({
      ok: false,
      error: {
        status: 400,
        body: {
          error: 'invalid_json',
          message: 'The request body is not valid UTF-8; send the JSON encoded as UTF-8.',
          problems: [],
        },
      },
    });
  });

  it('quotes no unknown event name it cannot print', () => {
    const deep = '['.repeat(5_000) + ']'.repeat(5_000);
    const result = parseEventRequest('11', `{"event":${deep},"account":{"id":11,"name":"a"}}`);
    expect(result).toMatchObject({ ok: false, error: { status: 422 } });
  });
});
