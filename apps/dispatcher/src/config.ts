// The dispatcher's configuration: read and validated once at boot into one typed object.
import { DEFAULT_TOPICS, TOPIC_ENV_VARS, type TopicNames } from '@vowchat/events';
import { EnvReader, envIntList, envParsed, type Env, type Level } from '@vowchat/platform';
import { parseSecretKeys, SECRET_KEYS_VAR, type SecretKey } from './secrets/secret-box';

export interface DispatcherConfig {
  port: number;
  apiToken: string;
  logLevel: Level;
  kafka: {
    brokers: string[];
    clientId: string;
    groupId: string;
    topicPartitions: number;
    /** Replicas of the topics the app creates (3 on a replicated cluster; min.insync.replicas is one less). */
    replicationFactor: number;
    sessionTimeoutMs: number;
  };
  topics: TopicNames;
  database: { url: string; schema: string };
  /** Allows http:// and loopback/private webhook targets: development, tests and the demo only. */
  allowInsecureUrls: boolean;
  /**
   * Keys that seal webhook signing secrets at rest (SECRET_ENCRYPTION_KEYS), newest first: the first
   * seals, all open (docs/decisions/0017-secrets-at-rest.md).
   */
  secretKeys: readonly SecretKey[];
  delivery: {
    /** Total time for one request, connect to last body byte (the spec's 5 s). */
    timeoutMs: number;
    /** Response bytes kept for the delivery log. */
    responseBodyCap: number;
    /** Concurrent requests per endpoint. */
    endpointConcurrency: number;
    /** Jobs buffered per endpoint before more are deferred to the retry store. */
    endpointQueueCap: number;
    /**
     * Requests per second to one endpoint when its webhook sets no `rate_limit_per_second`, shared
     * among the instances (docs/decisions/0013-rate-limits.md).
     */
    endpointRateLimitPerSecond: number;
    /** Buffered (taken, not yet durable) records per partition before it is paused. */
    partitionBufferCap: number;
    /** Bytes of buffered records, across partitions, before the partitions taking more pause. */
    bufferBytesCap: number;
    /** How long a partition's watermark may stand still while it holds work before readiness fails. */
    stallThresholdMs: number;
    /** Delays before attempts 2..n, in ms; attempt 1 is immediate. */
    retryScheduleMs: number[];
    /** Longest Retry-After honoured, in ms. */
    retryAfterCapMs: number;
    /** How often the retry store is polled for due retries. */
    retryPollMs: number;
    /** How long old secrets keep signing after a rotation. */
    secretGraceMs: number;
  };
  /** How long health data is kept (docs/decisions/0008-health-rollups.md). */
  /** Counters and histograms kept (false only to measure their cost: npm run bench). */
  metricsEnabled: boolean;
  /** The projector folds health rollups (false only to measure their cost: npm run bench). */
  healthRollupsEnabled: boolean;
  healthRetention: {
    /** Raw attempts, deferrals and deliveries (by their last attempt), in days. */
    rawDays: number;
    /** Minute rollups, in days. */
    minuteDays: number;
    /** Hour rollups, in days. */
    hourDays: number;
    /** How often the pruner runs. */
    pruneIntervalMs: number;
  };
  breaker: {
    /** Failure percentage over the window that opens a breaker. */
    errorThresholdPercentage: number;
    /** The window, in ms, over which failures are counted. */
    windowMs: number;
    /** Fewest requests in the window before the breaker may open. */
    volumeThreshold: number;
    /** Cool-down before a half-open probe. */
    resetTimeoutMs: number;
  };
  /** The endpoint health lifecycle (docs/decisions/0010-endpoint-lifecycle.md). */
  lifecycle: {
    /** Consecutive failed attempts that make an endpoint `failing`. */
    failingAfterAttempts: number;
    /** Continuous failure, from the first failed attempt, after which the webhook is disabled. */
    disableAfterMs: number;
    /** How long before the automatic disable the account is warned (`endpoint.disabling_soon`). */
    disableWarningMs: number;
    /** How often failing endpoints are checked against those periods. */
    checkIntervalMs: number;
  };
  readiness: {
    /** Delivery-topic records the outcome projector may lag behind before GET /health/ready fails. */
    projectorMaxLagRecords: number;
  };
}

export const DEFAULT_RETRY_SCHEDULE_MS = [
  5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
];

export function loadDispatcherConfig(env: Env = process.env): DispatcherConfig {
  const r = new EnvReader(env);
  const topics = Object.fromEntries(
    (Object.keys(DEFAULT_TOPICS) as (keyof TopicNames)[]).map((k) => [
      k,
      r.string(TOPIC_ENV_VARS[k], DEFAULT_TOPICS[k]),
    ]),
  ) as unknown as TopicNames;
  const schedule = r.read(
    'RETRY_SCHEDULE_MS',
    envIntList('RETRY_SCHEDULE_MS', DEFAULT_RETRY_SCHEDULE_MS),
    DEFAULT_RETRY_SCHEDULE_MS,
  );
  // Required, in development too: a built-in default would be a known key wherever it is forgotten.
  const secretKeys = r.read(
    SECRET_KEYS_VAR,
    envParsed((raw) => {
      if (raw === undefined || raw === '')
        return {
          value: [],
          problems: [
            `${SECRET_KEYS_VAR} is required: <key id>:<base64 of 32 bytes>[,…], newest first, e.g. k1:$(openssl rand -base64 32)`,
          ],
        };
      const { keys, problems } = parseSecretKeys(raw);
      return { value: keys, problems };
    }),
    [] as SecretKey[],
  );
  const config: DispatcherConfig = {
    port: r.int('PORT', 3001, { min: 0, max: 65535 }),
    apiToken: r.string('DISPATCHER_API_TOKEN'),
    logLevel: r.level('LOG_LEVEL', 'info'),
    kafka: {
      brokers: r.list('KAFKA_BROKERS', ['127.0.0.1:9092']),
      clientId: r.string('KAFKA_CLIENT_ID', 'vowchat-dispatcher'),
      groupId: r.string('KAFKA_GROUP_ID', 'vowchat-dispatcher'),
      topicPartitions: r.int('KAFKA_TOPIC_PARTITIONS', 6, { min: 1, max: 1000 }),
      replicationFactor: r.int('KAFKA_REPLICATION_FACTOR', 1, { min: 1, max: 7 }),
      // Short, so a crashed instance's partitions move on quickly; safe because the batch loop
      // never waits on deliveries and heartbeats go out every few hundred ms.
      sessionTimeoutMs: r.int('KAFKA_SESSION_TIMEOUT_MS', 10_000, { min: 6_000, max: 300_000 }),
    },
    topics,
    database: {
      url: r.string('DATABASE_URL', 'postgresql://postgres@127.0.0.1:5432/vowchat_webhooks'),
      schema: r.string('DATABASE_SCHEMA', 'public'),
    },
    allowInsecureUrls: r.bool('ALLOW_INSECURE_WEBHOOK_URLS', false),
    secretKeys,
    delivery: {
      timeoutMs: r.int('DELIVERY_TIMEOUT_MS', 5_000, { min: 100, max: 60_000 }),
      responseBodyCap: r.int('DELIVERY_RESPONSE_BODY_CAP', 2_048, { min: 0, max: 65_536 }),
      endpointConcurrency: r.int('DELIVERY_ENDPOINT_CONCURRENCY', 10, { min: 1, max: 1000 }),
      endpointQueueCap: r.int('DELIVERY_ENDPOINT_QUEUE_CAP', 1_000, { min: 1, max: 1_000_000 }),
      endpointRateLimitPerSecond: r.int('DELIVERY_ENDPOINT_RATE_LIMIT', 50, { min: 1, max: 100_000 }),
      partitionBufferCap: r.int('DELIVERY_PARTITION_BUFFER_CAP', 2_000, { min: 1, max: 1_000_000 }),
      bufferBytesCap: r.int('DELIVERY_BUFFER_BYTES', 64 * 1024 * 1024, { min: 1_048_576 }),
      stallThresholdMs: r.int('DELIVERY_STALL_THRESHOLD_MS', 120_000, { min: 100 }),
      retryScheduleMs: schedule,
      retryAfterCapMs: r.int('RETRY_AFTER_CAP_MS', 3_600_000, { min: 0 }),
      retryPollMs: r.int('RETRY_POLL_MS', 1_000, { min: 10, max: 60_000 }),
      secretGraceMs: r.int('SECRET_ROTATION_GRACE_MS', 86_400_000, { min: 0 }),
    },
    metricsEnabled: r.bool('METRICS_ENABLED', true),
    healthRollupsEnabled: r.bool('HEALTH_ROLLUPS_ENABLED', true),
    healthRetention: {
      rawDays: r.int('HEALTH_RAW_RETENTION_DAYS', 7, { min: 1, max: 3650 }),
      minuteDays: r.int('HEALTH_MINUTE_RETENTION_DAYS', 7, { min: 1, max: 3650 }),
      hourDays: r.int('HEALTH_HOUR_RETENTION_DAYS', 35, { min: 1, max: 3650 }),
      pruneIntervalMs: r.int('HEALTH_PRUNE_INTERVAL_MS', 600_000, { min: 1_000, max: 86_400_000 }),
    },
    breaker: {
      errorThresholdPercentage: r.int('BREAKER_ERROR_THRESHOLD_PERCENT', 50, { min: 1, max: 100 }),
      windowMs: r.int('BREAKER_WINDOW_MS', 30_000, { min: 100 }),
      volumeThreshold: r.int('BREAKER_VOLUME_THRESHOLD', 10, { min: 1 }),
      resetTimeoutMs: r.int('BREAKER_RESET_TIMEOUT_MS', 30_000, { min: 10 }),
    },
    lifecycle: {
      failingAfterAttempts: r.int('ENDPOINT_FAILING_AFTER_ATTEMPTS', 4, { min: 1, max: 1_000 }),
      disableAfterMs: r.int('ENDPOINT_DISABLE_AFTER_MS', 5 * 86_400_000, { min: 1_000 }),
      disableWarningMs: r.int('ENDPOINT_DISABLE_WARNING_MS', 86_400_000, { min: 0 }),
      checkIntervalMs: r.int('ENDPOINT_LIFECYCLE_CHECK_MS', 60_000, { min: 50, max: 86_400_000 }),
    },
    readiness: {
      projectorMaxLagRecords: r.int('READINESS_PROJECTOR_MAX_LAG', 100_000, { min: 0 }),
    },
  };
  if (config.lifecycle.disableWarningMs >= config.lifecycle.disableAfterMs)
    r.problem('ENDPOINT_DISABLE_WARNING_MS must be less than ENDPOINT_DISABLE_AFTER_MS');
  if (!/^[a-z_][a-z0-9_]*$/.test(config.database.schema))
    r.problem('DATABASE_SCHEMA must be a lower-case SQL identifier');
  r.done();
  return config;
}
