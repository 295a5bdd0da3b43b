// Projects the delivery topic into Postgres (delivery_attempts, deliveries, webhook_state_events).
// One transaction per fetched batch, a few set-based statements each, all idempotent: a batch that
// is replayed (a crash before its offsets were committed, or a rebuild) changes nothing. Offsets
// are committed by kafkajs only after eachBatch returns, i.e. after the transaction committed.
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import type { JsonLogger } from '@vowchat/platform';
import {
  decodeDeliveryRecord,
  toProjectionRows,
  type PositionedRecord,
  type ProjectionRows,
} from './projection-rows';

export interface OutcomeProjectorOptions {
  kafka: Kafka;
  dataSource: DataSource;
  /** The delivery topic. */
  topic: string;
  /** Its own consumer group (by default `${config.kafka.groupId}-projector`). */
  groupId: string;
  log: JsonLogger;
  /** Consumer session timeout (default 10 s): how soon a crashed instance's partitions move on. */
  sessionTimeoutMs?: number;
  /** Called after each batch's transaction commits (the rebuild command reports progress with it). */
  onProjected?: (progress: BatchProjected) => void;
}

export interface BatchProjected {
  partition: number;
  /** The offset after the last record of the batch: the partition is projected up to here. */
  nextOffset: string;
  /** Records in the batch, skipped ones included. */
  records: number;
  skipped: number;
}

export class OutcomeProjector {
  private consumer: Consumer | null = null;
  private projected = 0;
  private skipped = 0;

  constructor(private readonly options: OutcomeProjectorOptions) {}

  /** Records projected and skipped since start, for tests and gauges. */
  get stats(): { projected: number; skipped: number } {
    return { projected: this.projected, skipped: this.skipped };
  }

  /** Joins the group and starts projecting; a group that is new starts at the topic's beginning. */
  async start(): Promise<void> {
    const { kafka, topic, groupId, log } = this.options;
    const sessionTimeout = this.options.sessionTimeoutMs ?? 10_000;
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      // Fetch at least ~64 KB or wait 250 ms: bigger batches, fewer transactions (the projection
      // may lag by that much; the hot path never waits on it).
      minBytes: 64 * 1024,
      maxWaitTimeInMs: 250,
      sessionTimeout,
      heartbeatInterval: Math.floor(sessionTimeout / 5),
    });
    consumer.on(consumer.events.CRASH, ({ payload }) =>
      log.errorWith('outcome projector crashed', { error: payload.error.message, restart: payload.restart }),
    );
    await consumer.connect();
    this.consumer = consumer;
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      // Partitions of the delivery topic hold disjoint webhooks, so their transactions never touch the same rows.
      partitionsConsumedConcurrently: 3,
      // Resolved by hand, after the write: a batch cut short by a stop must not be marked done.
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.projectBatch(payload),
    });
    log.info('outcome projector running', { topic, group: groupId });
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    if (consumer) await consumer.disconnect();
  }

  private async projectBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const { log, dataSource, onProjected } = this.options;
    const records: PositionedRecord[] = [];
    let skipped = 0;
    for (const message of batch.messages) {
      const decoded = decodeDeliveryRecord(message.value);
      if (decoded.ok) {
        records.push({ partition: batch.partition, offset: message.offset, record: decoded.record });
      } else {
        skipped++;
        // Skipped, never fatal: a bad record must not stop the projection of every later one.
        log.warnWith('skipped an unreadable delivery record', {
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
          reason: decoded.reason,
        });
      }
    }
    // Throws on failure: kafkajs then re-fetches the batch from the last committed offset.
    await writeProjection(dataSource, toProjectionRows(records));
    resolveOffset(batch.messages[batch.messages.length - 1].offset);
    this.projected += records.length;
    this.skipped += skipped;
    const nextOffset = (BigInt(batch.lastOffset()) + 1n).toString();
    onProjected?.({ partition: batch.partition, nextOffset, records: batch.messages.length, skipped });
    await heartbeat();
  }
}

/** Writes one batch's rows in one transaction: a statement per table, never one per row. */
export async function writeProjection(dataSource: DataSource, rows: ProjectionRows): Promise<void> {
  if (rows.attempts.length + rows.deliveries.length + rows.stateEvents.length === 0) return;
  await dataSource.transaction(async (tx) => {
    await insertAttempts(tx, rows);
    await upsertDeliveries(tx, rows);
    await insertStateEvents(tx, rows);
  });
}

// Each statement takes its rows as one JSON document that Postgres expands (json_to_recordset):
// the driver sends one string instead of escaping every element of a dozen arrays, which made it
// a tenth of the projector's CPU.
async function insertAttempts(tx: EntityManager, { attempts }: ProjectionRows): Promise<void> {
  if (attempts.length === 0) return;
  await tx.query(
    `INSERT INTO delivery_attempts (attempt_id, delivery_id, event_id, webhook_id, account_id, event_type, attempt,
       outcome, status_code, duration_ms, error, response_body, next_attempt_at, started_at, finished_at)
     SELECT attempt_id, delivery_id, event_id, webhook_id, account_id, event_type, attempt,
       outcome, status_code, duration_ms, error, response_body, next_attempt_at, started_at, finished_at
     FROM json_to_recordset($1::json) AS r(attempt_id uuid, delivery_id uuid, event_id uuid, webhook_id uuid,
       account_id bigint, event_type text, attempt int, outcome text, status_code int, duration_ms int, error text,
       response_body text, next_attempt_at timestamptz, started_at timestamptz, finished_at timestamptz)
     ON CONFLICT (attempt_id) DO NOTHING`,
    [JSON.stringify(attempts)],
  );
}

// Latest wins as in projection-rows.ts (isNewerAttempt / mergeDelivery): a higher attempt number,
// then a later finish, replaces the summary; an older attempt arriving late only fills in the
// payload (if none was kept) and an earlier first_attempt_at.
async function upsertDeliveries(tx: EntityManager, { deliveries }: ProjectionRows): Promise<void> {
  if (deliveries.length === 0) return;
  const newer = `(EXCLUDED.attempts, EXCLUDED.last_attempt_at) > (deliveries.attempts, deliveries.last_attempt_at)`;
  const latest = (column: string) =>
    `${column} = CASE WHEN ${newer} THEN EXCLUDED.${column} ELSE deliveries.${column} END`;
  await tx.query(
    `INSERT INTO deliveries (delivery_id, event_id, webhook_id, account_id, event_type, outcome, attempts,
       last_status_code, last_error, next_attempt_at, payload, first_attempt_at, last_attempt_at)
     SELECT delivery_id, event_id, webhook_id, account_id, event_type, outcome, attempts,
       last_status_code, last_error, next_attempt_at, payload, first_attempt_at, last_attempt_at
     FROM json_to_recordset($1::json) AS r(delivery_id uuid, event_id uuid, webhook_id uuid, account_id bigint,
       event_type text, outcome text, attempts int, last_status_code int, last_error text,
       next_attempt_at timestamptz, payload text, first_attempt_at timestamptz, last_attempt_at timestamptz)
     ON CONFLICT (delivery_id) DO UPDATE SET
       ${['outcome', 'last_status_code', 'last_error', 'next_attempt_at'].map(latest).join(',\n       ')},
       payload = CASE WHEN ${newer} THEN COALESCE(EXCLUDED.payload, deliveries.payload)
                      ELSE COALESCE(deliveries.payload, EXCLUDED.payload) END,
       first_attempt_at = LEAST(deliveries.first_attempt_at, EXCLUDED.first_attempt_at),
       ${latest('attempts')},
       ${latest('last_attempt_at')}
     WHERE ${newer}
        OR EXCLUDED.first_attempt_at < deliveries.first_attempt_at
        OR (deliveries.payload IS NULL AND EXCLUDED.payload IS NOT NULL)`,
    [JSON.stringify(deliveries)],
  );
}

async function insertStateEvents(tx: EntityManager, { stateEvents }: ProjectionRows): Promise<void> {
  if (stateEvents.length === 0) return;
  await tx.query(
    `INSERT INTO webhook_state_events (source_partition, source_offset, kind, webhook_id, account_id, state, reason, at)
     SELECT source_partition, source_offset, kind, webhook_id, account_id, state, reason, at
     FROM json_to_recordset($1::json) AS r(source_partition int, source_offset bigint, kind text, webhook_id uuid,
       account_id bigint, state text, reason text, at timestamptz)
     ON CONFLICT (source_partition, source_offset) DO NOTHING`,
    [JSON.stringify(stateEvents)],
  );
}
