import { ConfigError } from '@vowchat/platform';
import { loadProducerConfig } from './config';

describe('loadProducerConfig', () => {
  it('applies the defaults when only the token is set', () => {
    expect(loadProducerConfig({ PRODUCER_API_TOKEN: 'secret' })).toEqual({
      port: 3000,
      apiToken: 'secret',
      logLevel: 'info',
      kafka: {
        brokers: ['127.0.0.1:9092'],
        clientId: 'vowchat-producer',
        topicPartitions: 6,
        replicationFactor: 1,
      },
      topics: {
        conversations: 'vowchat.conversations',
        messages: 'vowchat.messages',
        typing: 'vowchat.typing',
      },
      credentialsTopic: 'vowchat.credentials',
      maxBodyBytes: 1_048_576,
      maxBatchEvents: 500,
      maxEventBytes: null,
      maxEventDepth: 64,
      publishing: {
        timeoutMs: 5_000,
        lingerMs: 0,
        maxQueuedBytes: 64 * 1024 * 1024,
        maxQueuedRequests: 10_000,
      },
      publishRateLimit: { perSecond: 1_000, burst: 2_000 },
    });
  });

  it('reads every variable', () => {
    const config = loadProducerConfig({
      PORT: '8080',
      PRODUCER_API_TOKEN: 't',
      LOG_LEVEL: 'warn',
      KAFKA_BROKERS: 'k1:9092, k2:9092',
      KAFKA_CLIENT_ID: 'ingest',
      KAFKA_TOPIC_PARTITIONS: '12',
      KAFKA_REPLICATION_FACTOR: '3',
      KAFKA_TOPIC_CONVERSATIONS: 'c',
      KAFKA_TOPIC_MESSAGES: 'm',
      KAFKA_TOPIC_TYPING: 't',
      KAFKA_TOPIC_CREDENTIALS: 'creds',
      MAX_BODY_BYTES: '4096',
      MAX_BATCH_EVENTS: '20',
      MAX_EVENT_BYTES: '65536',
      MAX_EVENT_DEPTH: '32',
      PUBLISH_RATE_LIMIT_PER_ACCOUNT: '50',
      PUBLISH_RATE_BURST_PER_ACCOUNT: '80',
      PUBLISH_TIMEOUT_SECONDS: '2',
      PUBLISH_LINGER_MS: '3',
      PUBLISH_MAX_QUEUED_BYTES: '2097152',
      PUBLISH_MAX_QUEUED_REQUESTS: '100',
    });
    expect(config).toEqual({
      port: 8080,
      apiToken: 't',
      logLevel: 'warn',
      kafka: {
        brokers: ['k1:9092', 'k2:9092'],
        clientId: 'ingest',
        topicPartitions: 12,
        replicationFactor: 3,
      },
      topics: { conversations: 'c', messages: 'm', typing: 't' },
      credentialsTopic: 'creds',
      maxBodyBytes: 4096,
      maxBatchEvents: 20,
      maxEventBytes: 65536,
      maxEventDepth: 32,
      publishing: { timeoutMs: 2_000, lingerMs: 3, maxQueuedBytes: 2_097_152, maxQueuedRequests: 100 },
      publishRateLimit: { perSecond: 50, burst: 80 },
    });
  });

  it('turns the per-account publish rate limit off with 0', () => {
    const config = loadProducerConfig({ PRODUCER_API_TOKEN: 't', PUBLISH_RATE_LIMIT_PER_ACCOUNT: '0' });
    expect(config.publishRateLimit).toBeUndefined();
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadProducerConfig({
        PORT: 'abc',
        LOG_LEVEL: 'loud',
        MAX_BATCH_EVENTS: '0',
        MAX_EVENT_BYTES: '10',
        MAX_EVENT_DEPTH: 'deep',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'LOG_LEVEL must be debug, info, warn or error, got "loud"',
      'PORT must be an integer from 0 to 65535, got "abc"',
      'PRODUCER_API_TOKEN is required',
      'MAX_BATCH_EVENTS must be an integer from 1 to 100000, got "0"',
      'MAX_EVENT_BYTES must be an integer from 1024 to 67108864, got "10"',
      'MAX_EVENT_DEPTH must be an integer from 8 to 1000, got "deep"',
    ]);
  });
});
