import { Kafka } from 'kafkajs';
import type { JsonLogger } from './logger';

/** A kafkajs client with our logging and retry defaults. */
export function createKafka(clientId: string, brokers: string[], logger: JsonLogger): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logCreator: logger.kafkaLogCreator(),
    retry: { initialRetryTime: 100, retries: 8 },
  });
}

/** Creates any of `topics` that do not exist yet (idempotent; safe when several apps race). */
export async function ensureTopics(
  kafka: Kafka,
  topics: { topic: string; partitions: number; compacted?: boolean }[],
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({
        topic: t.topic,
        numPartitions: t.partitions,
        replicationFactor: 1,
        configEntries: t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
      })),
    });
  } finally {
    await admin.disconnect();
  }
}
