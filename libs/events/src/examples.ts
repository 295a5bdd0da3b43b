// One example of each event, shaped like the spec's examples. The producer CLI publishes them in
// the demo, and tests use them as factories (override the account to target another one).
import type { EventType } from './event-types';
import type { AccountRef, EventOf, VowChatEvent } from './payloads';

const DEFAULT_ACCOUNT: AccountRef = { id: 11, name: 'My Company' };

type ExampleFactory<T extends EventType> = (account: AccountRef) => EventOf<T>;

const EXAMPLES: { [T in EventType]: ExampleFactory<T> } = {
  conversation_created: (account) => ({
    event: 'conversation_created',
    id: 789,
    status: 'open',
    created_at: '2024-01-15 10:29:00 UTC',
    conversation: {
      id: 789,
      inbox_id: 12,
      status: 'open',
      messages: [],
      contact: { id: 456, name: 'John Doe' },
      inbox: { id: 12, name: 'Website Chat' },
    },
    account,
  }),
  conversation_updated: (account) => ({
    event: 'conversation_updated',
    id: 789,
    status: 'open',
    updated_at: '2024-01-15 10:35:00 UTC',
    changed_attributes: { assignee_id: { previous_value: null, current_value: 3 } },
    conversation: {
      id: 789,
      inbox_id: 12,
      status: 'open',
      messages: [],
      contact: { id: 456, name: 'John Doe' },
      inbox: { id: 12, name: 'Website Chat' },
    },
    account,
  }),
  conversation_status_changed: (account) => ({
    event: 'conversation_status_changed',
    id: 789,
    status: 'resolved',
    changed_at: '2024-01-15 11:00:00 UTC',
    conversation: {
      id: 789,
      messages: [],
      contact: { id: 456, name: 'John Doe' },
      inbox: { id: 12, name: 'Website Chat' },
    },
    account,
  }),
  message_created: (account) => ({
    event: 'message_created',
    id: '123',
    content: 'Hi, I need help with my order',
    created_at: '2024-01-15 10:30:00 UTC',
    message_type: 'incoming',
    content_type: 'text',
    content_attributes: {},
    source_id: null,
    sender: { id: 456, name: 'John Doe', email: 'john@example.com' },
    conversation: { id: 789, inbox_id: 12, status: 'open' },
    account,
  }),
  message_updated: (account) => ({
    event: 'message_updated',
    id: '123',
    content: 'Hi, I need help with my order #5521',
    created_at: '2024-01-15 10:30:00 UTC',
    updated_at: '2024-01-15 10:31:00 UTC',
    message_type: 'incoming',
    content_type: 'text',
    content_attributes: {},
    source_id: null,
    sender: { id: 456, name: 'John Doe', email: 'john@example.com' },
    conversation: { id: 789, inbox_id: 12, status: 'open' },
    account,
  }),
  webwidget_triggered: (account) => ({
    event: 'webwidget_triggered',
    id: 3001,
    contact: { id: 456, name: 'John Doe', email: 'john@example.com' },
    inbox: { id: 12, name: 'Website Chat' },
    source_id: 'c1c4a3e2-widget',
    triggered_at: '2024-01-15 10:28:00 UTC',
    event_info: {
      initiated_at: { timestamp: '2024-01-15 10:28:00 UTC' },
      referer: 'https://example.com/pricing',
    },
    account,
  }),
  conversation_typing_on: (account) => ({
    event: 'conversation_typing_on',
    conversation: { id: 789, inbox_id: 12 },
    user: { id: 456, name: 'John Doe', type: 'contact' },
    is_private: false,
    account,
  }),
  conversation_typing_off: (account) => ({
    event: 'conversation_typing_off',
    conversation: { id: 789, inbox_id: 12 },
    user: { id: 456, name: 'John Doe', type: 'contact' },
    is_private: false,
    account,
  }),
};

/** An example event of `type` for `account` (default: account 11, "My Company"). */
export function exampleEvent<T extends EventType>(
  type: T,
  account: AccountRef = DEFAULT_ACCOUNT,
): EventOf<T> {
  return (EXAMPLES[type] as ExampleFactory<T>)(account);
}

/** One example of every event type, in the spec's order. */
export function allExampleEvents(account: AccountRef = DEFAULT_ACCOUNT): VowChatEvent[] {
  return (Object.keys(EXAMPLES) as EventType[]).map((type) => exampleEvent(type, account));
}
