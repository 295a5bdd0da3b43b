// Payload shapes of the eight events, modelled on the spec's examples. Every payload carries
// `account`, whose id is the Kafka record key. Fields beyond these are allowed and delivered as-is.
import type { EventType } from './event-types';

export interface AccountRef {
  id: number;
  name: string;
}

export interface PersonRef {
  id: number;
  name: string;
  email?: string | null;
}

export interface InboxRef {
  id: number;
  name: string;
}

export interface ConversationSnapshot {
  id: number;
  inbox_id?: number;
  status?: ConversationStatus;
  messages?: unknown[];
  contact?: PersonRef;
  inbox?: InboxRef;
}

export type ConversationStatus = 'open' | 'resolved' | 'pending' | 'snoozed';
export type MessageType = 'incoming' | 'outgoing' | 'activity' | 'template';

interface EventBase<T extends EventType> {
  event: T;
  account: AccountRef;
}

export interface ConversationCreatedEvent extends EventBase<'conversation_created'> {
  id: number;
  status: ConversationStatus;
  created_at: string;
  conversation: ConversationSnapshot;
}

export interface ConversationUpdatedEvent extends EventBase<'conversation_updated'> {
  id: number;
  status: ConversationStatus;
  updated_at: string;
  changed_attributes?: Record<string, unknown>;
  conversation: ConversationSnapshot;
}

export interface ConversationStatusChangedEvent extends EventBase<'conversation_status_changed'> {
  id: number;
  status: ConversationStatus;
  changed_at: string;
  conversation: ConversationSnapshot;
}

interface MessageEventFields {
  id: string | number;
  content: string | null;
  created_at: string;
  message_type: MessageType;
  content_type: string;
  content_attributes: Record<string, unknown>;
  source_id: string | null;
  sender: PersonRef;
  conversation: { id: number; inbox_id: number; status: ConversationStatus };
}

export interface MessageCreatedEvent extends EventBase<'message_created'>, MessageEventFields {}

export interface MessageUpdatedEvent extends EventBase<'message_updated'>, MessageEventFields {
  updated_at?: string;
}

export interface WebwidgetTriggeredEvent extends EventBase<'webwidget_triggered'> {
  id: number;
  contact: PersonRef;
  inbox: InboxRef;
  source_id: string | null;
  triggered_at: string;
  event_info?: Record<string, unknown>;
}

interface TypingEventFields {
  conversation: { id: number; inbox_id?: number };
  user: { id: number; name: string; type: 'user' | 'contact' };
  is_private: boolean;
}

export interface ConversationTypingOnEvent extends EventBase<'conversation_typing_on'>, TypingEventFields {}
export interface ConversationTypingOffEvent extends EventBase<'conversation_typing_off'>, TypingEventFields {}

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
