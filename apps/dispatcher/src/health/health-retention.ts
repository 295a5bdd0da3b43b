// Prunes health data past its retention: raw attempts, deferrals, deliveries (by their last
// attempt) and webhook state events (all but each webhook's latest of each kind) after
// HEALTH_RAW_RETENTION_DAYS, minute rollups after HEALTH_MINUTE_RETENTION_DAYS,
// hour rollups after HEALTH_HOUR_RETENTION_DAYS. Bounded batched deletes, each its own short
// transaction (no long lock, no bloat spike); one instance at a time (a session advisory lock per
// schema), the others skip the round. Why not time partitions: docs/decisions/0008-health-rollups.md.
import type { DataSource, QueryRunner } from 'typeorm';
import type { JsonLogger } from '@vowchat/platform';
import { ROLLUP_TABLES } from './rollup-rows';

export interface RetentionSettings {
  rawRetentionMs: number;
  minuteRetentionMs: number;
  hourRetentionMs: number;
  /** Rows per DELETE (default 5,000). */
  batchSize?: number;
}

/** What one table gives up: which rows are old, and by which indexed time column. */
interface PruneTarget {
  table: string;
  column: string;
  retentionMs: (settings: RetentionSettings) => number;
  /** A further condition on an old row `o` for it to go. */
  onlyIf?: string;
}

const TARGETS: readonly PruneTarget[] = [
  { table: 'delivery_attempts', column: 'finished_at', retentionMs: (s) => s.rawRetentionMs },
  { table: 'delivery_deferrals', column: 'at', retentionMs: (s) => s.rawRetentionMs },
  {
    // The health API reads each webhook's latest breaker state however old (a breaker open for a
    // week is still open), so the latest event of each kind per webhook stays; older ones go once a
    // later one exists. Ties on `at` are broken by topic position, so exactly one stays.
    table: 'webhook_state_events',
    column: 'at',
    retentionMs: (s) => s.rawRetentionMs,
    onlyIf: `EXISTS (SELECT 1 FROM webhook_state_events n
              WHERE n.webhook_id = o.webhook_id AND n.kind = o.kind
                AND (n.at, n.source_partition, n.source_offset) > (o.at, o.source_partition, o.source_offset))`,
  },
  { table: 'deliveries', column: 'last_attempt_at', retentionMs: (s) => s.rawRetentionMs },
  { table: ROLLUP_TABLES.minute, column: 'bucket', retentionMs: (s) => s.minuteRetentionMs },
  { table: ROLLUP_TABLES.hour, column: 'bucket', retentionMs: (s) => s.hourRetentionMs },
];

export interface PruneReport {
  /** False when another instance held the lock (nothing was done). */
  ran: boolean;
  /** Rows deleted per table. */
  deleted: Record<string, number>;
  /** DELETE statements run (each at most batchSize rows). */
  batches: number;
}

export class HealthRetention {
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly settings: RetentionSettings,
    private readonly log: JsonLogger,
  ) {}

  /** Makes the current and later rounds stop after their current batch. */
  stop(): void {
    this.stopping = true;
  }

  /** One pruning round as of `now`; skipped when another instance is pruning. */
  async pruneOnce(now: Date): Promise<PruneReport> {
    const report: PruneReport = { ran: false, deleted: {}, batches: 0 };
    // A session lock needs one connection for the lock, the deletes and the unlock.
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query(
        `SELECT pg_try_advisory_lock(hashtext('vowchat-health-retention:' || current_schema())) AS locked`,
      )) as { locked: boolean }[];
      if (!locked) return report;
      report.ran = true;
      try {
        for (const target of TARGETS) {
          const cutoff = new Date(now.getTime() - target.retentionMs(this.settings));
          report.deleted[target.table] = await this.pruneTable(runner, target, cutoff, report);
        }
      } finally {
        await runner.query(
          `SELECT pg_advisory_unlock(hashtext('vowchat-health-retention:' || current_schema()))`,
        );
      }
    } finally {
      await runner.release();
    }
    const total = Object.values(report.deleted).reduce((sum, n) => sum + n, 0);
    if (total > 0) this.log.info('health retention pruned', { ...report.deleted, batches: report.batches });
    return report;
  }

  private async pruneTable(
    runner: QueryRunner,
    { table, column, onlyIf }: PruneTarget,
    cutoff: Date,
    report: PruneReport,
  ): Promise<number> {
    const batchSize = this.settings.batchSize ?? 5_000;
    let deleted = 0;
    while (!this.stopping) {
      // By ctid through the time index: each statement touches at most batchSize rows and commits.
      const [, count] = (await runner.query(
        `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM ${table} o WHERE ${column} < $1 ${onlyIf ? `AND ${onlyIf}` : ''} LIMIT $2))`,
        [cutoff, batchSize],
      )) as [unknown, number];
      report.batches++;
      deleted += count;
      if (count < batchSize) break;
      // Let the projector's and the API's queries through between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return deleted;
  }
}
