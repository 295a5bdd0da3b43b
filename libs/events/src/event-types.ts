/** The eight webhook events a VowChat customer can subscribe to, in the spec's order. */
export const EVENT_TYPES = [
  'conversation_created',
  'conversation_updated',
  'conversation_status_changed',
  'message_created',
  'message_updated',
  'webwidget_triggered',
  'conversation_typing_on',
  'conversation_typing_off',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The stream an event travels on: one Kafka topic each. */
export type EventStream = 'conversations' | 'messages' | 'typing';

/** True when `value` names one of the eight subscribable events. */
export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

/** The stream (and so the topic) that carries events of this type. */
export function streamOf(type: EventType): EventStream {
  switch (type) {
    case 'conversation_created':
    case 'conversation_updated':
    case 'conversation_status_changed':
    case 'webwidget_triggered':
      return 'conversations';
    case 'message_created':
    case 'message_updated':
      return 'messages';
    case 'conversation_typing_on':
    case 'conversation_typing_off':
      return 'typing';
    default:
      return assertNever(type);
  }
}

/** Closes a `switch` over a union: adding a member is a compile error wherever it is not handled. */
export function assertNever(value: never): never {
  throw new Error(`unhandled variant: ${JSON.stringify(value)}`);
}
