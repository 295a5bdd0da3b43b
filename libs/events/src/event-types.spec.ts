import { assertNever, EVENT_TYPES, isEventType, streamOf, type EventStream } from './event-types';
import { DEFAULT_TOPICS, eventTopics, topicFor } from './topics';

describe('EVENT_TYPES', () => {
  it("lists the spec's eight subscribable events, in its order", () => {
    expect(EVENT_TYPES).toEqual([
      'conversation_created',
      'conversation_updated',
      'conversation_status_changed',
      'message_created',
      'message_updated',
      'webwidget_triggered',
      'conversation_typing_on',
      'conversation_typing_off',
    ]);
  });
});

describe('isEventType', () => {
  it.each(EVENT_TYPES)('accepts %s', (type) => {
    expect(isEventType(type)).toBe(true);
  });

  it.each([undefined, null, 1, '', 'Message_Created', 'contact_updated', 'message_created '])(
    'refuses %p',
    (value) => {
      expect(isEventType(value)).toBe(false);
    },
  );
});

describe('streamOf and topicFor', () => {
  const expected: Record<(typeof EVENT_TYPES)[number], EventStream> = {
    conversation_created: 'conversations',
    conversation_updated: 'conversations',
    conversation_status_changed: 'conversations',
    webwidget_triggered: 'conversations',
    message_created: 'messages',
    message_updated: 'messages',
    conversation_typing_on: 'typing',
    conversation_typing_off: 'typing',
  };

  it.each(EVENT_TYPES)('puts %s on its stream and that stream’s topic', (type) => {
    expect(streamOf(type)).toBe(expected[type]);
    expect(topicFor(type, DEFAULT_TOPICS)).toBe(DEFAULT_TOPICS[expected[type]]);
  });

  it('uses configured topic names', () => {
    const topics = { conversations: 'c', messages: 'm', typing: 't' };
    expect(topicFor('message_updated', topics)).toBe('m');
    expect(eventTopics(topics)).toEqual(['c', 'm', 't']);
  });

  it('has the default topic names of the spec', () => {
    expect(eventTopics(DEFAULT_TOPICS)).toEqual([
      'vowchat.conversations',
      'vowchat.messages',
      'vowchat.typing',
    ]);
  });

  it('refuses a value outside the union at run time', () => {
    expect(() => streamOf('contact_updated' as never)).toThrow('unhandled variant: "contact_updated"');
    expect(() => assertNever('x' as never)).toThrow('unhandled variant: "x"');
  });
});
