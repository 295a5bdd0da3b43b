// Reads of the delivery projection (deliveries, delivery_attempts) for the delivery log API. Every
// query is scoped by webhook and account, so one account can never read another's deliveries.
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DeliveryCursor, DeliveryListQuery } from './delivery-log-query';
import type { AttemptRow, DeliveryRow } from './delivery.view';
import { REDELIVERABLE_OUTCOMES, type RedeliveryCandidate } from './redelivery';

const DELIVERY_COLUMNS = `delivery_id, event_id, event_type, outcome, attempts, last_status_code, last_error,
  next_attempt_at, first_attempt_at, last_attempt_at`;
// The cursor keeps Postgres's microseconds, which a JS Date would round away (and skip rows).
const CURSOR_AT = `to_char(first_attempt_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at`;

/** Which webhook's deliveries, in which account. */
export interface WebhookScope {
  accountId: number;
  webhookId: string;
}

export interface DeliveryPage {
  rows: DeliveryRow[];
  /** Where the page ended, when more rows follow. */
  next: DeliveryCursor | null;
}

type CandidateRecord = Omit<RedeliveryCandidate, 'account_id'> & { account_id: string };

@Injectable()
export class DeliveryLogRepository {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  async webhookExists({ accountId, webhookId }: WebhookScope): Promise<boolean> {
    const rows = await this.db.query<unknown[]>('SELECT 1 FROM webhooks WHERE id = $1 AND account_id = $2', [
      webhookId,
      accountId,
    ]);
    return rows.length > 0;
  }

  /** Newest first (by first attempt), keyset-paged: stable while new deliveries arrive. */
  async list(scope: WebhookScope, q: DeliveryListQuery): Promise<DeliveryPage> {
    const params: unknown[] = [scope.webhookId, scope.accountId];
    const param = (value: unknown) => `$${params.push(value)}`;
    const where = ['webhook_id = $1', 'account_id = $2'];
    if (q.outcomes) where.push(`outcome = ANY(${param(q.outcomes)}::text[])`);
    if (q.eventTypes) where.push(`event_type = ANY(${param(q.eventTypes)}::text[])`);
    if (q.since) where.push(`first_attempt_at >= ${param(q.since)}`);
    if (q.until) where.push(`first_attempt_at < ${param(q.until)}`);
    if (q.after) {
      const at = param(q.after.firstAttemptAt);
      const id = param(q.after.deliveryId);
      where.push(
        `(first_attempt_at < ${at}::timestamptz OR (first_attempt_at = ${at}::timestamptz AND delivery_id > ${id}::uuid))`,
      );
    }
    // delivery_id ascending within one instant matches the index (webhook_id, first_attempt_at DESC, delivery_id).
    const rows = await this.db.query<(DeliveryRow & { cursor_at: string })[]>(
      `SELECT ${DELIVERY_COLUMNS}, ${CURSOR_AT} FROM deliveries
        WHERE ${where.join(' AND ')}
        ORDER BY first_attempt_at DESC, delivery_id ASC
        LIMIT ${param(q.limit + 1)}`,
      params,
    );
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      rows: page.map(({ cursor_at: _cursor, ...row }) => row),
      next: rows.length > q.limit ? { firstAttemptAt: last.cursor_at, deliveryId: last.delivery_id } : null,
    };
  }

  async delivery(scope: WebhookScope, deliveryId: string): Promise<DeliveryRow | null> {
    const rows = await this.db.query<DeliveryRow[]>(
      `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE delivery_id = $1 AND webhook_id = $2 AND account_id = $3`,
      [deliveryId, scope.webhookId, scope.accountId],
    );
    return rows[0] ?? null;
  }

  /** Every attempt of a delivery, in attempt order. */
  async attempts(deliveryId: string): Promise<AttemptRow[]> {
    return await this.db.query<AttemptRow[]>(
      `SELECT attempt_id, attempt, outcome, status_code, duration_ms, error, response_body, next_attempt_at,
              started_at, finished_at
         FROM delivery_attempts WHERE delivery_id = $1
        ORDER BY attempt, finished_at, attempt_id`,
      [deliveryId],
    );
  }

  async candidate(scope: WebhookScope, deliveryId: string): Promise<RedeliveryCandidate | null> {
    const rows = await this.db.query<CandidateRecord[]>(
      `SELECT delivery_id, event_id, webhook_id, account_id, event_type, outcome, attempts, next_attempt_at, payload
         FROM deliveries WHERE delivery_id = $1 AND webhook_id = $2 AND account_id = $3`,
      [deliveryId, scope.webhookId, scope.accountId],
    );
    return rows.length === 0 ? null : toCandidate(rows[0]);
  }

  /**
   * One page (by delivery id) of the webhook's failed or dead deliveries whose last attempt is at or
   * after `since`; pass the last id of a page to get the next.
   */
  async redeliverable(
    scope: WebhookScope,
    since: Date,
    afterId: string | null,
    limit: number,
  ): Promise<RedeliveryCandidate[]> {
    const rows = await this.db.query<CandidateRecord[]>(
      `SELECT delivery_id, event_id, webhook_id, account_id, event_type, outcome, attempts, next_attempt_at, payload
         FROM deliveries
        WHERE webhook_id = $1 AND account_id = $2 AND outcome = ANY($3::text[]) AND last_attempt_at >= $4
          AND ($5::uuid IS NULL OR delivery_id > $5::uuid)
        ORDER BY delivery_id
        LIMIT $6`,
      [scope.webhookId, scope.accountId, REDELIVERABLE_OUTCOMES, since, afterId, limit],
    );
    return rows.map(toCandidate);
  }
}

function toCandidate(row: CandidateRecord): RedeliveryCandidate {
  // bigint comes back from pg as a string
  return { ...row, account_id: Number(row.account_id) };
}
