import { streamOf, type EventStream, type EventType } from './event-types';

/** Every topic the system reads or writes. Names are configurable; these are the defaults. */
export interface TopicNames {
  conversations: string;
  messages: string;
  typing: string;
  /** Records that could not be parsed or validated, with the reason and their origin. */
  deadLetter: string;
  /** One record per delivery attempt, breaker state change and webhook enable/disable. */
  deliveries: string;
  /** Compacted: the current state of every webhook, keyed by webhook id (registry sync). */
  webhooks: string;
  /** Compacted: the hash and scope of every valid issued API token, keyed by token id (decision 0014). */
  credentials: string;
}

export const DEFAULT_TOPICS: Readonly<TopicNames> = Object.freeze({
  conversations: 'vowchat.conversations',
  messages: 'vowchat.messages',
  typing: 'vowchat.typing',
  deadLetter: 'vowchat.dead-letter',
  deliveries: 'vowchat.webhook-deliveries',
  webhooks: 'vowchat.webhooks',
  credentials: 'vowchat.credentials',
});

/** The environment variable that overrides each topic name. */
export const TOPIC_ENV_VARS: Readonly<Record<keyof TopicNames, string>> = Object.freeze({
  conversations: 'KAFKA_TOPIC_CONVERSATIONS',
  messages: 'KAFKA_TOPIC_MESSAGES',
  typing: 'KAFKA_TOPIC_TYPING',
  deadLetter: 'KAFKA_TOPIC_DEAD_LETTER',
  deliveries: 'KAFKA_TOPIC_DELIVERIES',
  webhooks: 'KAFKA_TOPIC_WEBHOOKS',
  credentials: 'KAFKA_TOPIC_CREDENTIALS',
});

/** The topic that carries events of this type. */
export function topicFor(type: EventType, topics: Pick<TopicNames, EventStream>): string {
  return topics[streamOf(type)];
}

/** The three event topics the dispatcher consumes. */
export function eventTopics(topics: Pick<TopicNames, EventStream>): string[] {
  return [topics.conversations, topics.messages, topics.typing];
}

/** Every topic name in `topics`. */
export function allTopics(topics: TopicNames): string[] {
  return (Object.keys(DEFAULT_TOPICS) as (keyof TopicNames)[]).map((k) => topics[k]);
}
