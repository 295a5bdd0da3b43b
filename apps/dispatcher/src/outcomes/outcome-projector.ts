// Projects the delivery topic into Postgres (delivery_attempts, deliveries, webhook_state_events,
// delivery_deferrals, and the health rollups endpoint_health_minute / endpoint_health_hour).
// One transaction per fetched batch, a few set-based statements each, all idempotent: a batch that
// is replayed (a crash before its offsets were committed, or a rebuild) changes nothing. The
// rollups count only the attempts and deferrals that this transaction newly inserted. Offsets
// are committed by kafkajs only after eachBatch returns, i.e. after the transaction committed.
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import type { JsonLogger } from '@vowchat/platform';
import {
  ROLLUP_COLUMNS,
  ROLLUP_TABLES,
  rollupHorizon,
  toHourRollups,
  toMinuteRollups,
  type RollupColumn,
  type RollupRow,
} from '../health/rollup-rows';
import {
  decodeDeliveryRecord,
  toProjectionRows,
  type AttemptRow,
  type DeferralRow,
  type PositionedRecord,
  type ProjectionRows,
  type StateEventRow,
} from './projection-rows';

/** The default of HEALTH_RAW_RETENTION_DAYS, in ms. */
export const DEFAULT_RAW_RETENTION_MS = 7 * 86_400_000;

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
  /** How long raw attempt rows are kept (HEALTH_RAW_RETENTION_DAYS; default 7 days): see rollupHorizon. */
  rawRetentionMs?: number;
  /** Fold the health rollups (default true; HEALTH_ROLLUPS_ENABLED=false only to measure their cost). */
  rollups?: boolean;
  /** A fixed rollup horizon instead of one that follows the clock (the rebuild's). */
  countFrom?: Date;
  /** Folds each batch's new rows into more state in the same transaction (the endpoint lifecycle). */
  observer?: ProjectionObserver;
}

/**
 * Sees the rows a batch newly inserted (so a replay shows it nothing twice), inside the batch's
 * transaction; returns what to do once that transaction has committed.
 */
export interface ProjectionObserver {
  observe(
    tx: EntityManager,
    fresh: { attempts: AttemptRow[]; stateEvents: StateEventRow[] },
  ): Promise<(() => void) | undefined>;
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
    const countFrom =
      this.options.countFrom ??
      rollupHorizon(new Date(), this.options.rawRetentionMs ?? DEFAULT_RAW_RETENTION_MS);
    await writeProjection(dataSource, toProjectionRows(records), {
      countFrom,
      observer: this.options.observer,
      rollups: this.options.rollups,
    });
    resolveOffset(batch.messages[batch.messages.length - 1].offset);
    this.projected += records.length;
    this.skipped += skipped;
    const nextOffset = (BigInt(batch.lastOffset()) + 1n).toString();
    onProjected?.({ partition: batch.partition, nextOffset, records: batch.messages.length, skipped });
    await heartbeat();
  }
}

export interface WriteProjectionOptions {
  /**
   * Attempts finished (deferrals made) before this are written but not counted in the rollups:
   * their raw rows may have been pruned, so inserting them again proves nothing. Default: all count.
   */
  countFrom?: Date;
  observer?: ProjectionObserver;
  /** Fold the health rollups (default true; off only to measure their cost). */
  rollups?: boolean;
}

/** Writes one batch's rows in one transaction: a statement per table, never one per row. */
export async function writeProjection(
  dataSource: DataSource,
  rows: ProjectionRows,
  { countFrom, observer, rollups = true }: WriteProjectionOptions = {},
): Promise<void> {
  const total =
    rows.attempts.length + rows.deliveries.length + rows.stateEvents.length + rows.deferrals.length;
  if (total === 0) return;
  const committed = await dataSource.transaction(async (tx) => {
    const newAttempts = await insertAttempts(tx, rows);
    await upsertDeliveries(tx, rows);
    const newStateEvents = await insertStateEvents(tx, rows);
    const newDeferrals = await insertDeferrals(tx, rows);
    const from = countFrom?.getTime() ?? -Infinity;
    const counted = newAttempts.filter((a) => a.finished_at.getTime() >= from);
    if (rollups)
      await upsertRollups(
        tx,
        toMinuteRollups(
          counted,
          newDeferrals.filter((d) => d.at.getTime() >= from),
        ),
      );
    return observer?.observe(tx, {
      attempts: counted,
      stateEvents: newStateEvents.filter((e) => e.at.getTime() >= from),
    });
  });
  committed?.();
}

// Each statement takes its rows as one JSON document that Postgres expands (json_to_recordset):
// the driver sends one string instead of escaping every element of a dozen arrays, which made it
// a tenth of the projector's CPU.
/** Inserts the attempts not yet projected and returns those (only they may be counted). */
async function insertAttempts(tx: EntityManager, { attempts }: ProjectionRows): Promise<AttemptRow[]> {
  if (attempts.length === 0) return [];
  const inserted = await tx.query<{ attempt_id: string }[]>(
    `INSERT INTO delivery_attempts (attempt_id, delivery_id, event_id, webhook_id, account_id, event_type, attempt,
       outcome, status_code, duration_ms, error, response_body, next_attempt_at, started_at, finished_at,
       failure_class, event_published_at, routed_at)
     SELECT attempt_id, delivery_id, event_id, webhook_id, account_id, event_type, attempt,
       outcome, status_code, duration_ms, error, response_body, next_attempt_at, started_at, finished_at,
       failure_class, event_published_at, routed_at
     FROM json_to_recordset($1::json) AS r(attempt_id uuid, delivery_id uuid, event_id uuid, webhook_id uuid,
       account_id bigint, event_type text, attempt int, outcome text, status_code int, duration_ms int, error text,
       response_body text, next_attempt_at timestamptz, started_at timestamptz, finished_at timestamptz,
       failure_class text, event_published_at timestamptz, routed_at timestamptz)
     ON CONFLICT (attempt_id) DO NOTHING
     RETURNING attempt_id`,
    [JSON.stringify(attempts)],
  );
  return newOnly(
    attempts,
    inserted,
    (a) => a.attempt_id,
    (r) => r.attempt_id,
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

/** Inserts the deferrals not yet projected and returns those. */
async function insertDeferrals(tx: EntityManager, { deferrals }: ProjectionRows): Promise<DeferralRow[]> {
  if (deferrals.length === 0) return [];
  const inserted = await tx.query<{ deferral_id: string }[]>(
    `INSERT INTO delivery_deferrals (deferral_id, delivery_id, webhook_id, account_id, event_type, attempt, reason, at,
       routed_at, event_published_at)
     SELECT deferral_id, delivery_id, webhook_id, account_id, event_type, attempt, reason, at,
       routed_at, event_published_at
     FROM json_to_recordset($1::json) AS r(deferral_id uuid, delivery_id uuid, webhook_id uuid, account_id bigint,
       event_type text, attempt int, reason text, at timestamptz, routed_at timestamptz, event_published_at timestamptz)
     ON CONFLICT (deferral_id) DO NOTHING
     RETURNING deferral_id`,
    [JSON.stringify(deferrals)],
  );
  return newOnly(
    deferrals,
    inserted,
    (d) => d.deferral_id,
    (r) => r.deferral_id,
  );
}

function newOnly<Row, Returned>(
  rows: Row[],
  returned: Returned[],
  idOf: (row: Row) => string,
  returnedId: (r: Returned) => string,
): Row[] {
  if (returned.length === rows.length) return rows;
  const ids = new Set(returned.map(returnedId));
  return rows.filter((row) => ids.has(idOf(row)));
}

const ROLLUP_SQL_TYPES: Readonly<Record<RollupColumn, string>> = {
  attempts: 'int',
  delivered: 'int',
  failed: 'int',
  retried_5xx: 'int',
  throttled: 'int',
  timeouts: 'int',
  connection_errors: 'int',
  internal_errors: 'int',
  deferred_breaker: 'int',
  dead: 'int',
  first_attempts: 'int',
  first_attempt_delivered: 'int',
  duration_buckets: 'int[]',
  duration_sum_ms: 'bigint',
  duration_max_ms: 'int',
  e2e_buckets: 'int[]',
  e2e_count: 'int',
  e2e_sum_ms: 'bigint',
  e2e_max_ms: 'bigint',
  wait_buckets: 'int[]',
  wait_count: 'int',
  last_success_at: 'timestamptz',
  last_failure_at: 'timestamptz',
};

const MERGE_SQL: Readonly<Record<(typeof ROLLUP_COLUMNS)[RollupColumn], (c: string) => string>> = {
  sum: (c) => `${c} = t.${c} + EXCLUDED.${c}`,
  buckets: (c) => `${c} = health_add_buckets(t.${c}, EXCLUDED.${c})`,
  max: (c) => `${c} = GREATEST(t.${c}, EXCLUDED.${c})`,
  // GREATEST ignores NULLs: a row without a success yet takes the new one.
  latest: (c) => `${c} = GREATEST(t.${c}, EXCLUDED.${c})`,
};

// The upsert rollup-rows.ts's mergeRollups mirrors, built once from its column table.
const ROLLUP_UPSERT = (() => {
  const columns = Object.keys(ROLLUP_COLUMNS) as RollupColumn[];
  const names = ['bucket', 'webhook_id', 'account_id', ...columns].join(', ');
  const types = [
    'bucket timestamptz',
    'webhook_id uuid',
    'account_id bigint',
    ...columns.map((c) => `${c} ${ROLLUP_SQL_TYPES[c]}`),
  ].join(', ');
  const merge = columns.map((c) => MERGE_SQL[ROLLUP_COLUMNS[c]](c)).join(',\n         ');
  return (table: string, param: string) =>
    `INSERT INTO ${table} AS t (${names})
       SELECT ${names} FROM json_to_recordset(${param}::json) AS r(${types})
       ON CONFLICT (webhook_id, bucket) DO UPDATE SET
         ${merge}`;
})();

/** Adds the batch's minute rows, and the hour rows they sum to, in one statement. */
async function upsertRollups(tx: EntityManager, minuteRows: RollupRow[]): Promise<void> {
  if (minuteRows.length === 0) return;
  await tx.query(
    `WITH minute AS (${ROLLUP_UPSERT(ROLLUP_TABLES.minute, '$1')})
     ${ROLLUP_UPSERT(ROLLUP_TABLES.hour, '$2')}`,
    [JSON.stringify(minuteRows), JSON.stringify(toHourRollups(minuteRows))],
  );
}

/**
 * Inserts the state events not yet projected and returns those. Not yet projected: neither its
 * position (a replayed batch) nor its record id (the same record published twice) is there; no
 * conflict target, so both unique keys are arbiters.
 */
async function insertStateEvents(
  tx: EntityManager,
  { stateEvents }: ProjectionRows,
): Promise<StateEventRow[]> {
  if (stateEvents.length === 0) return [];
  const inserted = await tx.query<{ source_partition: number; source_offset: string }[]>(
    `INSERT INTO webhook_state_events (source_partition, source_offset, kind, webhook_id, account_id, state, reason, at,
       record_id)
     SELECT source_partition, source_offset, kind, webhook_id, account_id, state, reason, at, record_id
     FROM json_to_recordset($1::json) AS r(source_partition int, source_offset bigint, kind text, webhook_id uuid,
       account_id bigint, state text, reason text, at timestamptz, record_id uuid)
     ON CONFLICT DO NOTHING
     RETURNING source_partition, source_offset`,
    [JSON.stringify(stateEvents)],
  );
  return newOnly(
    stateEvents,
    inserted,
    (e) => `${e.source_partition}:${e.source_offset}`,
    (r) => `${r.source_partition}:${r.source_offset}`,
  );
}
