import { exampleEvent, hashToUuid, type VowChatEvent } from '@vowchat/events';
import { identifyEvents } from './event-identity';

const ID = '0190a7d2-2f6b-7c3e-9d1a-5b6c7d8e9f01';
const event = (extra: Record<string, unknown> = {}) =>
  ({ ...exampleEvent('message_created', { id: 7, name: 'A' }), ...extra }) as VowChatEvent;

describe('identifyEvents', () => {
  it('leaves ids to the publisher when the client names none', () => {
    const result = identifyEvents(7, [event()], undefined, false);
    expect(result).toEqual({ ok: true, value: { events: [event()], eventIds: [undefined] } });
  });

  it('publishes under the client’s event_id, taken out of the payload', () => {
    const result = identifyEvents(7, [event({ event_id: ID })], undefined, false);
    expect(result).toEqual({ ok: true, value: { events: [event()], eventIds: [ID] } });
  });

  it('derives the same id from the same Idempotency-Key and account, and another for another account', () => {
    const once = identifyEvents(7, [event()], 'order-42', false);
    const again = identifyEvents(7, [event()], 'order-42', false);
    const other = identifyEvents(8, [event()], 'order-42', false);
    expect(once.ok && once.value.eventIds[0]).toBe(hashToUuid('vowchat-idempotency:7:order-42'));
    expect(again).toEqual(once);
    expect(other.ok && other.value.eventIds[0]).not.toBe(once.ok && once.value.eventIds[0]);
  });

  it('gives each event of a keyed batch its own id by position, an event_id overriding it', () => {
    const result = identifyEvents(7, [event(), event({ event_id: ID }), event()], 'b-1', true);
    expect(result.ok && result.value.eventIds).toEqual([
      hashToUuid('vowchat-idempotency:7:b-1:0'),
      ID,
      hashToUuid('vowchat-idempotency:7:b-1:2'),
    ]);
  });

  it.each([
    [[event({ event_id: 'not-a-uuid' })], undefined, false, 422, 'invalid_event'],
    [[event({ event_id: 12 })], undefined, false, 422, 'invalid_event'],
    [[event({ event_id: ID })], 'k', false, 400, 'conflicting_event_id'],
    [[event({ event_id: ID }), event({ event_id: ID })], undefined, true, 422, 'duplicate_event_id'],
    [[event()], '', false, 400, 'invalid_idempotency_key'],
    [[event()], 'x'.repeat(256), false, 400, 'invalid_idempotency_key'],
    [[event()], 'tab\there', false, 400, 'invalid_idempotency_key'],
  ])('refuses %#', (events, key, batch, status, code) => {
    const result = identifyEvents(7, events, key, batch);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ status, body: { error: code } });
  });

  it('words the header and event_id refusals as before', () => {
    expect(identifyEvents(7, [event()], 'x'.repeat(256), false)).toMatchObject({
      ok: false,
      error: {
        body: {
          message: 'The Idempotency-Key header must be 1 to 255 printable ASCII characters.',
          problems: [],
        },
      },
    });
    expect(identifyEvents(7, [event(), event({ event_id: 12 })], undefined, true)).toMatchObject({
      ok: false,
      error: {
        body: {
          message: 'events[1].event_id must be a UUID, got 12.',
          problems: [{ field: 'events[1].event_id', message: 'events[1].event_id must be a UUID, got 12.' }],
        },
      },
    });
  });
});
