// The producer's configuration: read and validated once at boot into one typed object.
import {
  DEFAULT_TOPICS,
  MAX_EVENT_DEPTH,
  TOPIC_ENV_VARS,
  type EventStream,
  type TopicNames,
} from '@vowchat/events';
import { EnvReader, type Env, type Level } from '@vowchat/platform';
import type { PublishRateLimit } from './rate-limit/account-rate-limits';

/** The three topics events are published to (the producer never touches the others). */
export type EventTopicNames = Pick<TopicNames, EventStream>;

export interface ProducerConfig {
  port: number;
  apiToken: string;
  logLevel: Level;
  kafka: {
    brokers: string[];
    clientId: string;
    /** Partitions of each event topic when the producer has to create it at boot. */
    topicPartitions: number;
    /** Replicas of the topics the app creates (3 on a replicated cluster; min.insync.replicas is one less). */
    replicationFactor: number;
  };
  topics: EventTopicNames;
  /** The compacted topic of issued API tokens the producer follows (decision 0014). */
  credentialsTopic: string;
  /** Largest request body accepted, in bytes (single event or batch). */
  maxBodyBytes: number;
  /** Most events accepted in one batch request. */
  maxBatchEvents: number;
  /**
   * Caps each record batch sent to Kafka, like a topic's max.message.bytes; null: the topics' own
   * max.message.bytes, read from the broker at boot (the smaller of the two applies when both are set).
   */
  maxEventBytes: number | null;
  /** The deepest an event may nest; deeper is refused with 422 before it is serialised. */
  maxEventDepth: number;
  /** How requests wait for Kafka (docs/decisions/0015-publishing-correctness.md). */
  publishing: PublishingConfig;
  /** Events per second (and burst) each account may publish through this instance; absent: no limit. */
  publishRateLimit?: PublishRateLimit;
}

export interface PublishingConfig {
  /** The longest a request waits for Kafka's acknowledgement before it is answered 503. */
  timeoutMs: number;
  /** How long the first request waits for others to share its produce request, in ms. */
  lingerMs: number;
  /** Bytes of events waiting for Kafka past which requests are refused with 503. */
  maxQueuedBytes: number;
  /** Requests waiting for Kafka past which requests are refused with 503. */
  maxQueuedRequests: number;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_MAX_BATCH_EVENTS = 500;
/** Events per second one account may publish (docs/decisions/0013-rate-limits.md). */
export const DEFAULT_PUBLISH_RATE_LIMIT = 1_000;

/** Reads and validates the producer's environment; throws one ConfigError naming every bad variable. */
export function loadProducerConfig(env: Env = process.env): ProducerConfig {
  const r = new EnvReader(env);
  const logLevel = r.level('LOG_LEVEL', 'info');
  const config: ProducerConfig = {
    port: r.int('PORT', 3000, { min: 0, max: 65535 }),
    apiToken: r.string('PRODUCER_API_TOKEN'),
    logLevel,
    kafka: {
      brokers: readBrokers(r),
      clientId: r.string('KAFKA_CLIENT_ID', 'vowchat-producer'),
      topicPartitions: r.int('KAFKA_TOPIC_PARTITIONS', 6, { min: 1, max: 1000 }),
      replicationFactor: r.int('KAFKA_REPLICATION_FACTOR', 1, { min: 1, max: 7 }),
    },
    topics: readEventTopics(r),
    credentialsTopic: r.string(TOPIC_ENV_VARS.credentials, DEFAULT_TOPICS.credentials),
    maxBodyBytes: r.int('MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES, { min: 1024, max: 64 * 1024 * 1024 }),
    maxBatchEvents: r.int('MAX_BATCH_EVENTS', DEFAULT_MAX_BATCH_EVENTS, { min: 1, max: 100_000 }),
    maxEventBytes: env.MAX_EVENT_BYTES
      ? r.int('MAX_EVENT_BYTES', 0, { min: 1024, max: 64 * 1024 * 1024 })
      : null,
    maxEventDepth: r.int('MAX_EVENT_DEPTH', MAX_EVENT_DEPTH, { min: 8, max: 1000 }),
    publishing: readPublishing(r),
    publishRateLimit: readPublishRateLimit(r),
  };
  r.done();
  return config;
}

/** PUBLISH_RATE_LIMIT_PER_ACCOUNT (0 turns it off) and PUBLISH_RATE_BURST_PER_ACCOUNT (default: twice the rate). */
function readPublishRateLimit(r: EnvReader): PublishRateLimit | undefined {
  const perSecond = r.int('PUBLISH_RATE_LIMIT_PER_ACCOUNT', DEFAULT_PUBLISH_RATE_LIMIT, {
    min: 0,
    max: 1_000_000,
  });
  const burst = r.int('PUBLISH_RATE_BURST_PER_ACCOUNT', Math.max(1, 2 * perSecond), {
    min: 1,
    max: 10_000_000,
  });
  return perSecond === 0 ? undefined : { perSecond, burst };
}

/** PUBLISH_TIMEOUT_SECONDS, PUBLISH_LINGER_MS, PUBLISH_MAX_QUEUED_BYTES, PUBLISH_MAX_QUEUED_REQUESTS. */
function readPublishing(r: EnvReader): PublishingConfig {
  return {
    timeoutMs: r.int('PUBLISH_TIMEOUT_SECONDS', 5, { min: 1, max: 300 }) * 1000,
    lingerMs: r.int('PUBLISH_LINGER_MS', 0, { min: 0, max: 1000 }),
    maxQueuedBytes: r.int('PUBLISH_MAX_QUEUED_BYTES', 64 * 1024 * 1024, {
      min: 1024 * 1024,
      max: 4 * 1024 ** 3,
    }),
    maxQueuedRequests: r.int('PUBLISH_MAX_QUEUED_REQUESTS', 10_000, { min: 1, max: 1_000_000 }),
  };
}

/** KAFKA_BROKERS, shared with the example-publishing CLI. */
export function readBrokers(r: EnvReader): string[] {
  return r.list('KAFKA_BROKERS', ['127.0.0.1:9092']);
}

/** The event topic names (KAFKA_TOPIC_CONVERSATIONS, ...), shared with the example-publishing CLI. */
export function readEventTopics(r: EnvReader): EventTopicNames {
  return {
    conversations: r.string(TOPIC_ENV_VARS.conversations, DEFAULT_TOPICS.conversations),
    messages: r.string(TOPIC_ENV_VARS.messages, DEFAULT_TOPICS.messages),
    typing: r.string(TOPIC_ENV_VARS.typing, DEFAULT_TOPICS.typing),
  };
}
