import { Kafka, type KafkaConfig } from 'kafkajs';
import type { JsonLogger } from './logger';

/** A kafkajs client with our logging and retry defaults; `overrides` replace any of them. */
export function createKafka(
  clientId: string,
  brokers: string[],
  logger: JsonLogger,
  overrides: Pick<KafkaConfig, 'retry' | 'connectionTimeout' | 'requestTimeout'> = {},
): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logCreator: logger.kafkaLogCreator(),
    retry: { initialRetryTime: 100, retries: 8 },
    ...overrides,
  });
}

/**
 * Client settings for a publisher that answers within a bound and recovers at once: a connection
 * attempt gives up after 1 s, and reconnecting retries at most 500 ms apart (kafkajs's default lets
 * the gaps grow to 30 s, so a broker back for seconds went unnoticed). `requestTimeoutMs` caps one
 * request; the publisher's own deadline answers the caller in any case.
 */
export function failFastKafkaSettings(
  requestTimeoutMs: number,
): Pick<KafkaConfig, 'retry' | 'connectionTimeout' | 'requestTimeout'> {
  return {
    retry: { initialRetryTime: 100, maxRetryTime: 500, retries: 5 },
    connectionTimeout: 1_000,
    requestTimeout: Math.max(1_000, requestTimeoutMs),
  };
}

/**
 * Creates any of `topics` that do not exist yet and waits until every partition has a leader and
 * that leader serves it (idempotent; safe when several apps race). kafkajs's own wait gives up on
 * the "unknown topic" answers a busy broker returns right after a creation, so the wait here
 * retries those. Metadata names a leader a few milliseconds before the leader has created the
 * partition's log; a produce in between is refused with "not the leader", and the retry after it
 * was seen to leave a test's first records missing on a freshly started broker. So the wait ends
 * only once the leader answers an offsets request for every new partition.
 *
 * New topics get `replicationFactor` replicas (default 1: the single local broker); above 1 they
 * also get `min.insync.replicas` = factor − 1, so acks=all writes go on while one replica is down
 * (3 → 2 on the local cluster, `scripts/infra.sh cluster up`). Existing topics are left as they are.
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: { topic: string; partitions: number; compacted?: boolean }[],
  { timeoutMs = 30_000, replicationFactor = 1 }: { timeoutMs?: number; replicationFactor?: number } = {},
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((t) => ({
        topic: t.topic,
        numPartitions: t.partitions,
        replicationFactor,
        configEntries: [
          ...(t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
          ...(replicationFactor > 1
            ? [{ name: 'min.insync.replicas', value: String(replicationFactor - 1) }]
            : []),
        ],
      })),
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const { topics: metadata } = await admin.fetchTopicMetadata({ topics: missing.map((t) => t.topic) });
        if (metadata.every((m) => m.partitions.length > 0 && m.partitions.every((p) => p.leader >= 0))) {
          // Offsets come from each partition's leader, and only once it hosts the log.
          for (const { topic } of missing) await admin.fetchTopicOffsets(topic);
          return;
        }
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `topics ${missing.map((t) => t.topic).join(', ')} have no leader after ${timeoutMs} ms: is the broker healthy?`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await admin.disconnect();
  }
}
