// The durable retry store: one Postgres row per delivery waiting for its next attempt (or deferred
// by an open breaker or a full endpoint queue). Writes are group-committed; pollers on any
// instance lease due rows with SKIP LOCKED, so a dispatcher restart loses none and two instances
// never take the same row. Why Postgres and not a delay topic: docs/decisions/0003-retry-storage.md.
import type { DataSource } from 'typeorm';
import type { EventType } from '@vowchat/events';
import { MicroBatcher } from '../batching/micro-batcher';
import type { DeliveryJob } from '../delivery/delivery-job';

type RetryWrite =
  | { kind: 'schedule'; job: DeliveryJob; dueAt: Date }
  | { kind: 'complete'; deliveryId: string; attempt: number };

interface RetryRow {
  delivery_id: string;
  event_id: string;
  webhook_id: string;
  account_id: string;
  event_type: EventType;
  attempt: number;
  body: string;
  published_at: Date | null;
}

export class RetryStore {
  private readonly writes: MicroBatcher<RetryWrite>;

  constructor(private readonly db: DataSource) {
    this.writes = new MicroBatcher({
      flush: (items) => this.flush(items),
      maxBatch: 1_000,
      lingerMs: 5,
      maxPending: 20_000,
    });
  }

  /** Durably schedules `job` (its `attempt` is the one to make) at `dueAt`, replacing any earlier row. */
  schedule(job: DeliveryJob, dueAt: Date): Promise<void> {
    return this.writes.add({ kind: 'schedule', job, dueAt });
  }

  /** Removes the row of a retry job once its attempt has a final outcome (unless it was rescheduled since). */
  complete(deliveryId: string, attempt: number): Promise<void> {
    return this.writes.add({ kind: 'complete', deliveryId, attempt });
  }

  /**
   * Leases up to `limit` due rows for `leaseMs`, and no more rows than fit in `maxBytes` of event
   * bodies (always at least one), so a backlog of large events cannot flood the heap. An instance
   * that dies lets its leases lapse.
   */
  async leaseDue(
    now: Date,
    limit: number,
    leaseMs: number,
    maxBytes = Number.MAX_SAFE_INTEGER,
  ): Promise<DeliveryJob[]> {
    // A due row whose attempt already has a final outcome on the delivery topic (projected into
    // `deliveries`) is left over by an instance that died between writing that outcome and removing
    // the row: removed, not sent again. A redelivery's row asks for a later attempt and stays.
    // SKIP LOCKED: a row being written or renewed is left for a later poll (never waited on).
    await this.db.query(
      `WITH stale AS (
         SELECT s.delivery_id FROM scheduled_retries s JOIN deliveries d ON d.delivery_id = s.delivery_id
          WHERE s.due_at <= $1 AND (s.leased_until IS NULL OR s.leased_until <= $1)
            AND d.outcome IN ('delivered', 'failed', 'dead') AND d.attempts >= s.attempt
          LIMIT $2 FOR UPDATE OF s SKIP LOCKED)
       DELETE FROM scheduled_retries s USING stale WHERE s.delivery_id = stale.delivery_id`,
      [now, limit],
    );
    const rows = await this.db.query<[RetryRow[], number]>(
      `WITH candidates AS (
         SELECT delivery_id, due_at, octet_length(body) AS bytes FROM scheduled_retries
          WHERE due_at <= $1 AND (leased_until IS NULL OR leased_until <= $1)
          ORDER BY due_at, delivery_id LIMIT $3 FOR UPDATE SKIP LOCKED),
       within_budget AS (
         SELECT delivery_id FROM (
           SELECT delivery_id, sum(bytes) OVER (ORDER BY due_at, delivery_id) - bytes AS before FROM candidates) c
          WHERE before < $4)
       UPDATE scheduled_retries s SET leased_until = $2 FROM within_budget w
        WHERE s.delivery_id = w.delivery_id
        RETURNING s.delivery_id, s.event_id, s.webhook_id, s.account_id, s.event_type, s.attempt, s.body, s.published_at`,
      [now, new Date(now.getTime() + leaseMs), limit, maxBytes],
    );
    return rows[0].map((r) => ({
      deliveryId: r.delivery_id,
      eventId: r.event_id,
      webhookId: r.webhook_id,
      accountId: Number(r.account_id),
      eventType: r.event_type,
      attempt: r.attempt,
      body: r.body,
      source: 'retry' as const,
      publishedAt: r.published_at?.toISOString() ?? null,
      routedAt: null,
    }));
  }

  /**
   * Extends to `until`, in one statement, the leases still held on `leases` (a delivery id and the
   * attempt that was leased): the row still has that attempt and its lease has not lapsed at `now`.
   * A row completed, rescheduled (its lease cleared) or lapsed is left alone, so a renewal never
   * takes a row back from another poller. Returns the delivery ids extended.
   */
  async renewLeases(
    leases: readonly { deliveryId: string; attempt: number }[],
    now: Date,
    until: Date,
  ): Promise<string[]> {
    if (leases.length === 0) return [];
    // SKIP LOCKED: a row locked now is having its outcome written (this lease ends anyway) or is
    // being leased after a lapse; waiting on it instead could deadlock with a write batch that
    // locks the same rows in another order. A skipped row is tried again at the next renewal.
    const rows = await this.db.query<[{ delivery_id: string }[], number]>(
      `WITH held AS (
         SELECT s.delivery_id FROM scheduled_retries s
           JOIN unnest($1::uuid[], $2::int[]) AS h(id, attempt) ON s.delivery_id = h.id AND s.attempt = h.attempt
          WHERE s.leased_until > $3
          FOR UPDATE OF s SKIP LOCKED)
       UPDATE scheduled_retries s SET leased_until = $4 FROM held
        WHERE s.delivery_id = held.delivery_id
        RETURNING s.delivery_id`,
      [leases.map((l) => l.deliveryId), leases.map((l) => l.attempt), now, until],
    );
    return rows[0].map((r) => r.delivery_id);
  }

  /** Rows waiting, for gauges and tests. */
  async count(): Promise<number> {
    const [{ n }] = await this.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM scheduled_retries`);
    return n;
  }
  async close(): Promise<void> {
    await this.writes.close();
  }

  private async flush(items: RetryWrite[]): Promise<void> {
    // One upsert and one delete per batch. A delivery scheduled twice in a batch keeps its last row
    // (ON CONFLICT may not touch a row twice in one statement).
    const schedules = new Map<string, Extract<RetryWrite, { kind: 'schedule' }>>();
    const completes: Extract<RetryWrite, { kind: 'complete' }>[] = [];
    for (const item of items) {
      if (item.kind === 'schedule') schedules.set(item.job.deliveryId, item);
      else completes.push(item);
    }
    await this.db.transaction(async (tx) => {
      if (completes.length > 0) {
        await tx.query(
          `DELETE FROM scheduled_retries s USING unnest($1::uuid[], $2::int[]) AS d(id, attempt)
            WHERE s.delivery_id = d.id AND s.attempt = d.attempt`,
          [completes.map((c) => c.deliveryId), completes.map((c) => c.attempt)],
        );
      }
      if (schedules.size > 0) {
        const rows = [...schedules.values()];
        await tx.query(
          `INSERT INTO scheduled_retries (delivery_id, event_id, webhook_id, account_id, event_type, attempt, body, due_at, published_at)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::text[], $6::int[], $7::text[], $8::timestamptz[], $9::timestamptz[])
           ON CONFLICT (delivery_id) DO UPDATE
             SET attempt = EXCLUDED.attempt, due_at = EXCLUDED.due_at, body = EXCLUDED.body, leased_until = NULL,
                 published_at = EXCLUDED.published_at`,
          [
            rows.map((r) => r.job.deliveryId),
            rows.map((r) => r.job.eventId),
            rows.map((r) => r.job.webhookId),
            rows.map((r) => r.job.accountId),
            rows.map((r) => r.job.eventType),
            rows.map((r) => r.job.attempt),
            rows.map((r) => r.job.body),
            rows.map((r) => r.dueAt),
            rows.map((r) => r.job.publishedAt),
          ],
        );
      }
    });
  }
}
