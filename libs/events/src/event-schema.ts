// The eight events as schemas: the one description of what a producer may publish, from which the
// payload types (payloads.ts), the producer's OpenAPI document and the validator's messages come.
// Fields beyond the modelled ones are allowed everywhere and delivered unchanged (loose objects).
import { z } from 'zod';
import { EVENT_TYPES, type EventType } from './event-types';
import { says } from './schema';

const positiveInt = () =>
  z.int(says('must be a positive integer')).min(1, says('must be a positive integer'));
const text = () => z.string(says('must be a string'));
const nonEmptyText = () =>
  z
    .string(says('must be a non-empty string'))
    .refine((v) => v.trim() !== '', says('must be a non-empty string'));
const bool = () => z.boolean(says('must be a boolean'));
const plainObject = () => z.record(z.string(), z.unknown(), says('must be an object'));
const array = () => z.array(z.unknown(), says('must be an array'));
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, says(`must be one of ${values.join(', ')}`));
const nullable = <S extends z.ZodType>(schema: S, message: string) =>
  z.union([schema, z.null()], says(message));
const object = <Shape extends z.ZodRawShape>(shape: Shape) => z.looseObject(shape, says('must be an object'));

export const CONVERSATION_STATUSES = ['open', 'resolved', 'pending', 'snoozed'] as const;
export const MESSAGE_TYPES = ['incoming', 'outgoing', 'activity', 'template'] as const;

const status = () => oneOf(CONVERSATION_STATUSES);

export const accountRefSchema = object({ id: positiveInt(), name: text() });
export const personRefSchema = object({
  id: positiveInt(),
  name: text(),
  email: nullable(text(), 'must be a string').optional(),
});
export const inboxRefSchema = object({ id: positiveInt(), name: text() });
export const conversationSnapshotSchema = object({
  id: positiveInt(),
  inbox_id: positiveInt().optional(),
  status: status().optional(),
  messages: array().optional(),
  // Objects of any shape here: the spec's examples carry contact and inbox summaries, not checked.
  contact: plainObject().optional(),
  inbox: plainObject().optional(),
});

/** An id that may be a number or (for a message) a string. */
const idLike = () => {
  const message = says('must be a positive integer or a non-empty string');
  return z.union([z.string(message).min(1, message), z.int(message).min(1, message)], message);
};

const eventName = <T extends EventType>(type: T) => z.literal(type);

// The fields of each event in the order their problems are reported: scalars first, then objects.
const conversationFields = <T extends EventType, K extends string>(type: T, timestamp: K) =>
  ({
    event: eventName(type),
    id: positiveInt(),
    status: status(),
    [timestamp]: nonEmptyText(),
  }) as { event: z.ZodLiteral<T>; id: ReturnType<typeof positiveInt>; status: ReturnType<typeof status> } & {
    [P in K]: ReturnType<typeof nonEmptyText>;
  };

const conversationObjects = { conversation: conversationSnapshotSchema, account: accountRefSchema };

export const conversationCreatedSchema = object({
  ...conversationFields('conversation_created', 'created_at'),
  ...conversationObjects,
});
export const conversationUpdatedSchema = object({
  ...conversationFields('conversation_updated', 'updated_at'),
  changed_attributes: plainObject().optional(),
  ...conversationObjects,
});
export const conversationStatusChangedSchema = object({
  ...conversationFields('conversation_status_changed', 'changed_at'),
  ...conversationObjects,
});

const messageFields = {
  id: idLike(),
  content: nullable(text(), 'must be a string'),
  created_at: nonEmptyText(),
  message_type: oneOf(MESSAGE_TYPES),
  content_type: nonEmptyText(),
  content_attributes: plainObject(),
  source_id: nullable(text(), 'must be a string'),
};
const messageObjects = {
  sender: personRefSchema,
  conversation: object({ id: positiveInt(), inbox_id: positiveInt(), status: status() }),
  account: accountRefSchema,
};

export const messageCreatedSchema = object({
  event: eventName('message_created'),
  ...messageFields,
  ...messageObjects,
});
export const messageUpdatedSchema = object({
  event: eventName('message_updated'),
  ...messageFields,
  updated_at: nonEmptyText().optional(),
  ...messageObjects,
});

export const webwidgetTriggeredSchema = object({
  event: eventName('webwidget_triggered'),
  id: positiveInt(),
  source_id: nullable(text(), 'must be a string'),
  triggered_at: nonEmptyText(),
  event_info: plainObject().optional(),
  contact: personRefSchema,
  inbox: inboxRefSchema,
  account: accountRefSchema,
});

const typingFields = {
  is_private: bool(),
  conversation: object({ id: positiveInt(), inbox_id: positiveInt().optional() }),
  user: object({ id: positiveInt(), name: text(), type: oneOf(['user', 'contact'] as const) }),
  account: accountRefSchema,
};
export const conversationTypingOnSchema = object({
  event: eventName('conversation_typing_on'),
  ...typingFields,
});
export const conversationTypingOffSchema = object({
  event: eventName('conversation_typing_off'),
  ...typingFields,
});

/** The schema of each event type, by its name. */
export const EVENT_SCHEMAS = {
  conversation_created: conversationCreatedSchema,
  conversation_updated: conversationUpdatedSchema,
  conversation_status_changed: conversationStatusChangedSchema,
  message_created: messageCreatedSchema,
  message_updated: messageUpdatedSchema,
  webwidget_triggered: webwidgetTriggeredSchema,
  conversation_typing_on: conversationTypingOnSchema,
  conversation_typing_off: conversationTypingOffSchema,
} as const satisfies Record<EventType, z.ZodType>;

/** Any of the eight events, discriminated on `event` (for documents; validateEvent names problems better). */
export const vowChatEventSchema = z.discriminatedUnion(
  'event',
  EVENT_TYPES.map((type) => EVENT_SCHEMAS[type]) as unknown as [
    typeof conversationCreatedSchema,
    typeof conversationUpdatedSchema,
    typeof conversationStatusChangedSchema,
    typeof messageCreatedSchema,
    typeof messageUpdatedSchema,
    typeof webwidgetTriggeredSchema,
    typeof conversationTypingOnSchema,
    typeof conversationTypingOffSchema,
  ],
);
