// `npm run secrets:reencrypt`: moves every signing secret at rest to the newest key of
// SECRET_ENCRYPTION_KEYS (configuration from the dispatcher's environment), so an older key can then
// be removed. Safe while dispatchers run, and idempotent: a second run finds nothing to do.
//   1. Postgres: every `webhooks` and `operations_webhooks` row whose secret is not sealed under the
//      newest key (plaintext ones included) is re-sealed under its row lock; each webhook re-sealed
//      is republished (same version) while the lock is held.
//   2. The compacted webhooks topic: read to its end; every webhook whose latest record carries a
//      secret not sealed under the newest key is republished from its row (under its lock), or, if
//      the row is gone, gets a tombstone. Superseded records leave the topic with compaction.
// Run it after every instance has been given the new key first in its list (README, "Secrets at rest").
// Its sends span the topic's partitions, so only the partitions kafkajs's answer names count as
// written (sendCovered, decision 0022): the rest are resent, and if that fails the run stops with the
// error; running it again finishes the job.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Partitioners, type Kafka, type Message } from 'kafkajs';
import { In, type DataSource } from 'typeorm';
import { createKafka, type JsonLogger } from '@vowchat/platform';
import { deleteConsumerGroup, runOperatorCommand } from '../cli/operator-command';
import { sendCovered } from '../kafka/covered-send';
import { recordingPartitioner } from '../kafka/produce-coverage';
import {
  deleteChange,
  encodeWebhookChange,
  upsertChange,
  type WebhookChange,
} from '../registry/webhook-change';
import { openWebhookSecrets, sealChange } from '../registry/webhook-secrets';
import { WebhookEntity } from '../registry/webhook.entity';
import { SecretBox } from './secret-box';
import { StoredSecrets, type ResealResult } from './stored-secrets';

export interface ReencryptDeps {
  kafka: Kafka;
  dataSource: DataSource;
  box: SecretBox;
  /** The compacted webhooks topic. */
  topic: string;
  /** The topic scan's consumer group is `<prefix>-reencrypt-<random>` (deleted afterwards). */
  groupIdPrefix: string;
  log: JsonLogger;
  /** Where progress lines and the summary go. */
  print: (line: string) => void;
  /** Gives up reading the topic when no record arrives for this long before its end (default 30 s). */
  readIdleTimeoutMs?: number;
}

export interface ReencryptSummary {
  keyId: string;
  rows: ResealResult[];
  /** Records read from the topic, and distinct webhooks among them. */
  topicRecords: number;
  topicWebhooks: number;
  /** Webhooks whose latest topic record was republished under the newest key (or tombstoned). */
  republished: number;
  durationMs: number;
}

export async function reencryptSecrets(deps: ReencryptDeps): Promise<ReencryptSummary> {
  const { kafka, dataSource, box, topic, print } = deps;
  const started = Date.now();
  const say = (line: string) => print(`secrets:reencrypt: ${line}`);
  say(`sealing under key "${box.currentKeyId}" (keys held: ${box.keyIds.join(', ')})`);

  const partitionOf = new WeakMap<Message, number>();
  const producer = kafka.producer({
    createPartitioner: recordingPartitioner(Partitioners.DefaultPartitioner, partitionOf),
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const publish = async (changes: WebhookChange[]) => {
    if (changes.length === 0) return;
    await sendCovered(
      producer,
      { topic, acks: -1, messages: changes.map((change) => encodeWebhookChange(sealChange(change, box))) },
      partitionOf,
      deps.log,
    );
  };
  try {
    const stored = new StoredSecrets({
      dataSource,
      box,
      publish,
      onProgress: (table, done, found) => say(`postgres ${table}: ${done}/${found} rows`),
    });
    const rows: ResealResult[] = [];
    for (const pass of [
      () => stored.resealWebhooks('not-current'),
      () => stored.resealOperationsWebhooks('not-current'),
    ]) {
      const result = await pass();
      say(
        `postgres ${result.table}: ${result.resealed} re-sealed (${result.found} were not under "${box.currentKeyId}")`,
      );
      rows.push(result);
    }

    say(`reading ${topic} to its end`);
    const latest = await latestRecords(deps);
    const stale = [...latest.byKey.values()].filter((record) => record.stale);
    say(
      `${topic}: ${latest.records} records, ${latest.byKey.size} webhooks, ${stale.length} not under "${box.currentKeyId}"`,
    );
    let republished = 0;
    for (let i = 0; i < stale.length; i += 100) {
      const batch = stale.slice(i, i + 100);
      await dataSource.transaction(async (m) => {
        const locked = await m.find(WebhookEntity, {
          where: { id: In(batch.map((r) => r.id)) },
          lock: { mode: 'pessimistic_write' },
        });
        const found = new Map(locked.map((row) => [row.id, row]));
        await publish(
          batch.map((record) => {
            const row = found.get(record.id);
            // A webhook deleted since: its tombstone supersedes the stale record.
            return row === undefined ? deleteChange(record) : upsertChange(openWebhookSecrets(row, box));
          }),
        );
      });
      republished += batch.length;
      say(`${topic}: ${republished}/${stale.length} republished`);
    }
    const summary: ReencryptSummary = {
      keyId: box.currentKeyId,
      rows,
      topicRecords: latest.records,
      topicWebhooks: latest.byKey.size,
      republished,
      durationMs: Date.now() - started,
    };
    say(
      `done in ${(summary.durationMs / 1000).toFixed(1)} s: every stored secret and every webhook's latest ` +
        `record is sealed under "${box.currentKeyId}"`,
    );
    return summary;
  } finally {
    await producer.disconnect();
  }
}

interface LatestRecord {
  id: string;
  accountId: number;
  version: number;
  /** An upsert carrying a secret not sealed under the newest key. */
  stale: boolean;
}

/** The latest record of every key on the topic, read up to the end offsets found at the start. */
async function latestRecords(
  deps: ReencryptDeps,
): Promise<{ records: number; byKey: Map<string, LatestRecord> }> {
  const { kafka, topic, box, log } = deps;
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    if (!(await admin.listTopics()).includes(topic))
      throw new Error(
        `the webhooks topic "${topic}" does not exist; check KAFKA_TOPIC_WEBHOOKS and KAFKA_BROKERS`,
      );
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(
      offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]),
    );
  } finally {
    await admin.disconnect();
  }
  const byKey = new Map<string, LatestRecord>();
  let records = 0;
  if (ends.size === 0) return { records, byKey };

  const groupId = `${deps.groupIdPrefix}-reencrypt-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 });
  const remaining = new Set(ends.keys());
  let finished!: () => void;
  let lastProgress = Date.now();
  const done = new Promise<void>((resolve) => (finished = resolve));
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ partition, message }) => {
        lastProgress = Date.now();
        if (BigInt(message.offset) >= ends.get(partition)!) return Promise.resolve();
        records += 1;
        const key = message.key?.toString();
        const value = message.value?.toString();
        if (key !== undefined && value !== undefined) {
          const record = readRecord(key, value, box);
          if (record !== null) byKey.set(key, record);
        }
        if (BigInt(message.offset) + 1n >= ends.get(partition)!) {
          remaining.delete(partition);
          if (remaining.size === 0) finished();
        }
        return Promise.resolve();
      },
    });
    const idleMs = deps.readIdleTimeoutMs ?? 30_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (Date.now() - lastProgress > idleMs) {
          clearInterval(timer);
          reject(
            new Error(
              `no record of ${topic} arrived for ${idleMs} ms before its end; nothing was republished`,
            ),
          );
        }
      }, 250);
      void done.then(() => {
        clearInterval(timer);
        resolve();
      });
    });
  } finally {
    await consumer.disconnect();
    await deleteConsumerGroup(kafka, groupId, log);
  }
  return { records, byKey };
}

function readRecord(key: string, value: string, box: SecretBox): LatestRecord | null {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(value) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (
    typeof raw !== 'object' ||
    raw === null ||
    typeof raw.account_id !== 'number' ||
    typeof raw.version !== 'number'
  )
    return null;
  const current = (v: unknown) => typeof v !== 'string' || box.isCurrent(v);
  const stale =
    raw.deleted !== true &&
    (!current(raw.secret) || (raw.previous_secret !== null && !current(raw.previous_secret)));
  return { id: key, accountId: raw.account_id, version: raw.version, stale };
}

if (require.main === module) {
  runOperatorCommand('secrets:reencrypt', ({ config, log, dataSource }) =>
    reencryptSecrets({
      kafka: createKafka(`${config.kafka.clientId}-reencrypt`, config.kafka.brokers, log),
      dataSource,
      box: new SecretBox(config.secretKeys),
      topic: config.topics.webhooks,
      groupIdPrefix: config.kafka.groupId,
      log,
      print: (line) => process.stdout.write(`${line}\n`),
    }),
  );
}
