// Payload types of the eight events, inferred from their schemas (event-schema.ts), which follow
// the spec's examples. Every payload carries `account`, whose id is the Kafka record key. Fields
// beyond these are allowed (the index signatures) and delivered as-is.
import type { z } from 'zod';
import type {
  accountRefSchema,
  conversationCreatedSchema,
  conversationSnapshotSchema,
  conversationStatusChangedSchema,
  conversationTypingOffSchema,
  conversationTypingOnSchema,
  CONVERSATION_STATUSES,
  inboxRefSchema,
  MESSAGE_TYPES,
  messageCreatedSchema,
  messageUpdatedSchema,
  personRefSchema,
  conversationUpdatedSchema,
  webwidgetTriggeredSchema,
} from './event-schema';
import type { EventType } from './event-types';

export type AccountRef = z.infer<typeof accountRefSchema>;
export type PersonRef = z.infer<typeof personRefSchema>;
export type InboxRef = z.infer<typeof inboxRefSchema>;
export type ConversationSnapshot = z.infer<typeof conversationSnapshotSchema>;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];
export type MessageType = (typeof MESSAGE_TYPES)[number];

export type ConversationCreatedEvent = z.infer<typeof conversationCreatedSchema>;
export type ConversationUpdatedEvent = z.infer<typeof conversationUpdatedSchema>;
export type ConversationStatusChangedEvent = z.infer<typeof conversationStatusChangedSchema>;
export type MessageCreatedEvent = z.infer<typeof messageCreatedSchema>;
export type MessageUpdatedEvent = z.infer<typeof messageUpdatedSchema>;
export type WebwidgetTriggeredEvent = z.infer<typeof webwidgetTriggeredSchema>;
export type ConversationTypingOnEvent = z.infer<typeof conversationTypingOnSchema>;
export type ConversationTypingOffEvent = z.infer<typeof conversationTypingOffSchema>;

/** Every event a producer may publish, discriminated on `event`. */
export type VowChatEvent =
  | ConversationCreatedEvent
  | ConversationUpdatedEvent
  | ConversationStatusChangedEvent
  | MessageCreatedEvent
  | MessageUpdatedEvent
  | WebwidgetTriggeredEvent
  | ConversationTypingOnEvent
  | ConversationTypingOffEvent;

/** The payload type of one event kind: `EventOf<'message_created'>`. */
export type EventOf<T extends EventType> = Extract<VowChatEvent, { event: T }>;
