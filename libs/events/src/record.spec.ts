import { deriveEventId, newEventId } from './event-id';
import { exampleEvent } from './examples';
import {
  decodeEventRecord,
  EVENT_HEADERS,
  headerText,
  partitionKey,
  toDeadLetter,
  toEventMessage,
  type RawEventRecord,
} from './record';

const event = exampleEvent('message_created', { id: 42, name: 'Acme' });
const eventId = newEventId();

function consumed(overrides: Partial<RawEventRecord> = {}): RawEventRecord {
  const message = toEventMessage(event, eventId);
  return {
    topic: 'vowchat.messages',
    partition: 2,
    offset: '17',
    key: Buffer.from(message.key),
    value: Buffer.from(message.value),
    headers: Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, Buffer.from(v)])),
    ...overrides,
  };
}

function reasonOf(record: RawEventRecord): string {
  const decoded = decodeEventRecord(record);
  if (decoded.ok) throw new Error('expected the record to be undecodable');
  return decoded.reason;
}

describe('toEventMessage', () => {
  it('keys by account id and carries the event id and type in headers', () => {
    expect(toEventMessage(event, eventId)).toEqual({
      key: '42',
      value: JSON.stringify(event),
      headers: { [EVENT_HEADERS.eventId]: eventId, [EVENT_HEADERS.eventType]: 'message_created' },
    });
    expect(partitionKey(event)).toBe('42');
  });
});

describe('decodeEventRecord', () => {
  it('round-trips a published record, keeping the exact bytes as the body', () => {
    expect(decodeEventRecord(consumed())).toEqual({
      ok: true,
      eventId,
      idDerived: false,
      type: 'message_created',
      event,
      body: JSON.stringify(event),
    });
  });

  it('keeps the body exactly as published, whitespace and key order included', () => {
    const value = `{ "account": {"name": "Acme", "id": 42},\n "event": "conversation_typing_on", "is_private": false,
      "conversation": {"id": 1}, "user": {"id": 2, "name": "Ann", "type": "user"} }`;
    const decoded = decodeEventRecord(consumed({ value: Buffer.from(value) }));
    expect(decoded).toMatchObject({ ok: true, body: value, type: 'conversation_typing_on' });
  });

  it('derives a stable id from the coordinates when the id header is missing', () => {
    const record = consumed({ headers: {} });
    const first = decodeEventRecord(record);
    expect(first).toMatchObject({
      ok: true,
      idDerived: true,
      eventId: deriveEventId('vowchat.messages', 2, '17'),
    });
    expect(decodeEventRecord({ ...record })).toEqual(first);
  });

  it('derives an id when there are no headers at all, or the header is not a UUID', () => {
    expect(decodeEventRecord(consumed({ headers: undefined }))).toMatchObject({ ok: true, idDerived: true });
    const bad = consumed({ headers: { [EVENT_HEADERS.eventId]: Buffer.from('evt-1') } });
    expect(decodeEventRecord(bad)).toMatchObject({
      idDerived: true,
      eventId: deriveEventId('vowchat.messages', 2, '17'),
    });
  });

  it('gives records at different offsets different derived ids', () => {
    const a = decodeEventRecord(consumed({ headers: {}, offset: '17' }));
    const b = decodeEventRecord(consumed({ headers: {}, offset: '18' }));
    expect(a.ok && b.ok && a.eventId !== b.eventId).toBe(true);
  });

  it('accepts string values and keys, and a record without a key', () => {
    expect(decodeEventRecord(consumed({ value: JSON.stringify(event), key: '42' })).ok).toBe(true);
    expect(decodeEventRecord(consumed({ key: null })).ok).toBe(true);
    expect(decodeEventRecord(consumed({ key: '' })).ok).toBe(true);
  });

  it('refuses a record whose value is not JSON', () => {
    expect(reasonOf(consumed({ value: Buffer.from('{"event": "message_created",') }))).toMatch(
      /^value is not JSON: /,
    );
  });

  it('refuses a tombstone', () => {
    expect(reasonOf(consumed({ value: null }))).toBe('value is empty (null)');
  });

  it('refuses an unknown event, naming it', () => {
    const value = JSON.stringify({ ...event, event: 'contact_updated' });
    expect(reasonOf(consumed({ value }))).toMatch(
      /^invalid event: event is "contact_updated"; must be one of /,
    );
  });

  it('refuses an invalid event, naming the field', () => {
    const value = JSON.stringify({ ...event, sender: { name: 'x' } });
    expect(reasonOf(consumed({ value }))).toBe('invalid event: sender.id is required');
  });

  it('refuses a key that does not match the account', () => {
    expect(reasonOf(consumed({ key: Buffer.from('7') }))).toBe('record key "7" does not match account.id 42');
  });
});

describe('headerText', () => {
  it('reads Buffers, strings and the first of repeated values', () => {
    expect(headerText(Buffer.from('a'))).toBe('a');
    expect(headerText('b')).toBe('b');
    expect(headerText([Buffer.from('c'), 'd'])).toBe('c');
    expect(headerText(undefined)).toBeUndefined();
    expect(headerText([])).toBeUndefined();
  });
});

describe('toDeadLetter', () => {
  const at = new Date('2024-01-15T10:30:00Z');

  it('keeps the origin, key, text value and headers, with the reason', () => {
    const record = { ...consumed({ value: Buffer.from('not json') }), timestamp: '1705314600000' };
    expect(toDeadLetter(record, 'value is not JSON', at)).toEqual({
      reason: 'value is not JSON',
      origin: { topic: 'vowchat.messages', partition: 2, offset: '17', timestamp: '1705314600000' },
      key: '42',
      value: 'not json',
      value_encoding: 'utf8',
      value_bytes: 8,
      value_truncated: false,
      headers: { [EVENT_HEADERS.eventId]: eventId, [EVENT_HEADERS.eventType]: 'message_created' },
      headers_truncated: false,
      dead_lettered_at: '2024-01-15T10:30:00.000Z',
    });
  });

  it('keeps bytes that are not UTF-8 as base64, losslessly', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const letter = toDeadLetter(consumed({ value: bytes }), 'value is not JSON', at);
    expect(letter.value_encoding).toBe('base64');
    expect(Buffer.from(letter.value!, 'base64').equals(bytes)).toBe(true);
  });

  it('keeps a null key and value as null', () => {
    const letter = toDeadLetter(
      consumed({ key: null, value: null, headers: undefined }),
      'value is empty (null)',
      at,
    );
    expect(letter).toMatchObject({ key: null, value: null, value_encoding: 'utf8', headers: {} });
  });

  it('keeps a prefix of a value too large to carry whole, and the letter fits its budget', () => {
    const value = Buffer.alloc(900_000, 0xab); // binary: base64 would make it 1.2 MB
    const letter = toDeadLetter(consumed({ value }), 'value is not JSON', at, 100_000);
    expect(Buffer.byteLength(JSON.stringify(letter))).toBeLessThanOrEqual(100_000);
    expect(letter).toMatchObject({ value_truncated: true, value_encoding: 'base64', value_bytes: 900_000 });
    const prefix = Buffer.from(letter.value!, 'base64');
    expect(prefix.length).toBeGreaterThan(70_000);
    expect(prefix.equals(value.subarray(0, prefix.length))).toBe(true);
  });

  it('keeps a text value whole when it fits, even one JSON escapes heavily', () => {
    const value = Buffer.from('"\u0001'.repeat(1000));
    const letter = toDeadLetter(consumed({ value }), 'value is not JSON', at, 100_000);
    expect(letter).toMatchObject({ value_truncated: false, value_encoding: 'utf8', value: value.toString() });
  });

  it('cuts a huge key and huge headers, and says so', () => {
    const letter = toDeadLetter(
      consumed({
        key: Buffer.alloc(500_000, 0x41),
        headers: {
          big: 'x'.repeat(500_000),
          ...Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`h${i}`, 'y'.repeat(500)])),
        },
      }),
      'x'.repeat(5_000),
      at,
      1_000_000,
    );
    expect(letter.key!.length).toBeLessThanOrEqual(1_030);
    expect(letter.headers.big.length).toBeLessThanOrEqual(1_030);
    expect(letter.headers_truncated).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(letter.headers))).toBeLessThan(20_000);
    expect(letter.reason.length).toBeLessThanOrEqual(1_001);
  });
});

describe('decodeEventRecord and UTF-8', () => {
  it('dead-letters a value with invalid UTF-8 inside a string instead of delivering U+FFFD', () => {
    const json = Buffer.from(JSON.stringify(exampleEvent('message_created')));
    const at = json.indexOf(Buffer.from('Hi, I need'));
    const bad = Buffer.concat([json.subarray(0, at), Buffer.from([0xc3, 0x28]), json.subarray(at)]);
    const decoded = decodeEventRecord(consumed({ value: bad }));
    expect(decoded).toEqual({ ok: false, reason: 'value is not valid UTF-8' });
  });
});
