// Rebuilds the Postgres projection of the delivery topic from the topic itself:
//   node dist/apps/dispatcher/src/outcomes/rebuild-projection.js [--allow-partial]
// (configuration from the dispatcher's environment). Empties delivery_attempts, deliveries,
// webhook_state_events, delivery_deferrals and the health rollups, then replays the topic from its
// beginning up to the end offsets read at start, through the same projector the dispatcher runs.
// Refuses, emptying nothing, when retention has already deleted the topic's oldest records, unless
// --allow-partial (rebuild-retention.ts).
// Safe while dispatchers run: their live projector keeps writing newer records, and every write is
// idempotent and latest-wins.
//
// The rollups are rebuilt from the rollup horizon on (the raw retention, HEALTH_RAW_RETENTION_DAYS,
// rounded up to an hour): older attempts may have been pruned from delivery_attempts, so a replay
// cannot tell which were counted. Hour rows before the horizon are kept as they were (the topic
// usually no longer holds their records anyway: rollups older than the topic's retention can never
// be rebuilt); minute rows are all emptied (the few before the horizon were about to be pruned).
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { createKafka, type JsonLogger } from '@vowchat/platform';
import { TOPIC_ENV_VARS } from '@vowchat/events';
import { deleteConsumerGroup, runOperatorCommand } from '../cli/operator-command';
import { bucketStart, rollupHorizon, ROLLUP_TABLES } from '../health/rollup-rows';
import { DEFAULT_RAW_RETENTION_MS, OutcomeProjector, type BatchProjected } from './outcome-projector';
import { HistoryDeletedError, parseRebuildArgs, truncatedPartitions } from './rebuild-retention';

export interface RebuildDeps {
  kafka: Kafka;
  dataSource: DataSource;
  /** The delivery topic. */
  topic: string;
  /** The replay's consumer group is `<prefix>-rebuild-<random>`: fresh, so it starts at the beginning. */
  groupIdPrefix: string;
  log: JsonLogger;
  /** Where progress lines and the summary go. */
  print: (line: string) => void;
  /** How often a progress line is printed while replaying (default 1 s). */
  progressEveryMs?: number;
  /** HEALTH_RAW_RETENTION_DAYS in ms (default 7 days): where the rollups' rebuild starts. */
  rawRetentionMs?: number;
  /** Rebuild from what the topic holds even when its oldest records are deleted (default: refuse). */
  allowPartial?: boolean;
}

export interface RebuildSummary {
  topic: string;
  partitions: number;
  /** Records on the topic when the rebuild started (and so replayed). */
  records: number;
  /** Of those, records that could not be read and were skipped (each logged with its offset). */
  skipped: number;
  durationMs: number;
}

/**
 * Empties the projection and replays the delivery topic into it; resolves once caught up. Rejects
 * with HistoryDeletedError, before emptying anything, when the topic's oldest records are gone and
 * `allowPartial` is not set.
 */
export async function rebuildProjection(deps: RebuildDeps): Promise<RebuildSummary> {
  const { kafka, dataSource, topic, log, print } = deps;
  const started = Date.now();
  const ends = await endOffsets(kafka, topic);
  const truncated = truncatedPartitions([...ends].map(([partition, p]) => ({ partition, ...p })));
  if (truncated.length > 0) {
    if (!deps.allowPartial) throw new HistoryDeletedError(topic, truncated);
    const from = truncated.map((p) => `partition ${p.partition} from offset ${p.low}`).join(', ');
    print(`rebuild-projection: ${PARTIAL_NOTE} (${from})`);
  }
  const total = [...ends.values()].reduce((sum, p) => sum + Number(p.high - p.low), 0);
  print(
    `rebuild-projection: ${total} records on ${topic} (${ends.size} partitions); emptying the projection`,
  );
  const horizon = rebuildHorizon(new Date(), deps.rawRetentionMs ?? DEFAULT_RAW_RETENTION_MS);
  // One transaction: a live projector's write cannot fall between emptying the attempts and the rollups.
  await dataSource.transaction(async (tx) => {
    await tx.query(
      `TRUNCATE delivery_attempts, deliveries, webhook_state_events, delivery_deferrals, ${ROLLUP_TABLES.minute}`,
    );
    await tx.query(`DELETE FROM ${ROLLUP_TABLES.hour} WHERE bucket >= $1`, [horizon]);
  });

  const done = new Map<number, bigint>([...ends].map(([partition, p]) => [partition, p.low]));
  const projected = () =>
    [...ends].reduce((sum, [partition, p]) => sum + Number(min(done.get(partition)!, p.high) - p.low), 0);
  const caughtUp = () => [...ends].every(([partition, p]) => done.get(partition)! >= p.high);

  let skipped = 0;
  if (!caughtUp()) {
    const groupId = `${deps.groupIdPrefix}-rebuild-${randomUUID()}`;
    let finished: () => void = () => {};
    const finishedPromise = new Promise<void>((resolve) => (finished = resolve));
    const projector = new OutcomeProjector({
      kafka,
      dataSource,
      topic,
      groupId,
      log,
      countFrom: horizon,
      onProjected: (batch: BatchProjected) => {
        const position = BigInt(batch.nextOffset);
        if (position > (done.get(batch.partition) ?? 0n)) done.set(batch.partition, position);
        if (caughtUp()) finished();
      },
    });
    const ticker = setInterval(() => print(progressLine(projected(), total)), deps.progressEveryMs ?? 1_000);
    try {
      await projector.start();
      await finishedPromise;
      skipped = projector.stats.skipped;
    } finally {
      clearInterval(ticker);
      await projector.stop();
      await deleteConsumerGroup(kafka, groupId, log);
    }
    print(progressLine(projected(), total));
  }

  const summary: RebuildSummary = {
    topic,
    partitions: ends.size,
    records: total,
    skipped,
    durationMs: Date.now() - started,
  };
  const [[{ attempts }], [{ deliveries }], [{ states }]] = (await Promise.all([
    dataSource.query('SELECT count(*)::int AS attempts FROM delivery_attempts'),
    dataSource.query('SELECT count(*)::int AS deliveries FROM deliveries'),
    dataSource.query('SELECT count(*)::int AS states FROM webhook_state_events'),
  ])) as [[{ attempts: number }], [{ deliveries: number }], [{ states: number }]];
  print(
    `rebuild-projection: done in ${(summary.durationMs / 1000).toFixed(1)} s: ${total} records replayed ` +
      `(${skipped} unreadable, skipped), ${attempts} attempts, ${deliveries} deliveries, ${states} state events`,
  );
  return summary;
}

/** Each partition's first and end offsets now; refuses a topic that does not exist. */
async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, { low: bigint; high: bigint }>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new Error(
        `the delivery topic "${topic}" does not exist, so there is nothing to rebuild from; ` +
          `check ${TOPIC_ENV_VARS.deliveries} and KAFKA_BROKERS (the projection was left as it is)`,
      );
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((p) => [p.partition, { low: BigInt(p.low), high: BigInt(p.high) }]));
  } finally {
    await admin.disconnect();
  }
}

/** The first hour rebuilt: the live projector's rollup horizon, rounded up to an hour boundary. */
export function rebuildHorizon(now: Date, rawRetentionMs: number): Date {
  const horizon = rollupHorizon(now, rawRetentionMs);
  const hour = bucketStart(horizon, 'hour');
  return hour.getTime() === horizon.getTime() ? hour : new Date(hour.getTime() + 3_600_000);
}

const PARTIAL_NOTE =
  'the oldest records are deleted; rebuilding from what remains (--allow-partial), without their history';

function progressLine(done: number, total: number): string {
  const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
  return `rebuild-projection: ${done}/${total} records (${percent}%)`;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

if (require.main === module) {
  runOperatorCommand(
    'rebuild-projection',
    ({ config, log, dataSource }) =>
      rebuildProjection({
        ...parseRebuildArgs(process.argv.slice(2)),
        kafka: createKafka(`${config.kafka.clientId}-rebuild`, config.kafka.brokers, log),
        dataSource,
        topic: config.topics.deliveries,
        groupIdPrefix: config.kafka.groupId,
        log,
        rawRetentionMs: config.healthRetention.rawDays * 86_400_000,
        print: (line) => process.stdout.write(`${line}\n`),
      }),
    // Required by the dispatcher's loader; this command opens no secret.
    { SECRET_ENCRYPTION_KEYS: `unused:${randomBytes(32).toString('base64')}` },
  );
}
