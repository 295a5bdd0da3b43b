// `operations_webhooks` (one operations endpoint per account) and `operational_deliveries` (what
// to send them, and when to try again). Plain SQL on the shared DataSource. The endpoint's secret is
// sealed in its row (secrets/secret-box.ts, bound to the account id) and plaintext in what this returns.
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { JsonLogger } from '@vowchat/platform';
import type { SecretBox } from '../secrets/secret-box';
import { LOGGER, SECRET_BOX } from '../tokens';

/** The associated data an operations endpoint's secret is sealed with. */
export const operationsSecretContext = (accountId: number): string =>
  `operations_webhooks.secret:${accountId}`;

export interface OperationsWebhook {
  accountId: number;
  url: string;
  secret: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A leased operational delivery with where it goes. */
export interface DueOperationalDelivery {
  id: string;
  accountId: number;
  type: string;
  body: string;
  /** Attempts made before this one. */
  attempts: number;
  url: string | null;
  secret: string | null;
}

interface LeasedRow {
  id: string;
  account_id: string;
  type: string;
  body: string;
  attempts: number;
  url: string | null;
  secret: string | null;
}

interface Row {
  account_id: string;
  url: string;
  secret: string;
  created_at: Date;
  updated_at: Date;
}

@Injectable()
export class OperationsWebhookRepository {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {}

  async find(accountId: number): Promise<OperationsWebhook | null> {
    const rows = await this.db.query<Row[]>(`SELECT * FROM operations_webhooks WHERE account_id = $1`, [
      accountId,
    ]);
    return rows.length === 0 ? null : this.fromRow(rows[0]);
  }

  /** Sets the account's URL; a new endpoint gets `newSecret`, an existing one keeps its secret. */
  async put(
    accountId: number,
    url: string,
    newSecret: string,
    now: Date,
  ): Promise<{ webhook: OperationsWebhook; created: boolean }> {
    const rows = await this.db.query<(Row & { created: boolean })[]>(
      `INSERT INTO operations_webhooks AS o (account_id, url, secret, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (account_id) DO UPDATE SET url = EXCLUDED.url, updated_at = EXCLUDED.updated_at
       RETURNING *, (xmax = 0) AS created`,
      [accountId, url, this.box.seal(newSecret, operationsSecretContext(accountId)), now],
    );
    return { webhook: this.fromRow(rows[0]), created: rows[0].created };
  }

  /** Deletes the endpoint and what was waiting to be sent to it; false when there was none. */
  async delete(accountId: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [, deleted] = await tx.query<[unknown, number]>(
        `DELETE FROM operations_webhooks WHERE account_id = $1`,
        [accountId],
      );
      await tx.query(`DELETE FROM operational_deliveries WHERE account_id = $1 AND status = 'pending'`, [
        accountId,
      ]);
      return deleted > 0;
    });
  }

  /**
   * Takes up to `limit` due deliveries and pushes their due time `leaseMs` ahead, so another
   * instance does not take them while this one sends (a crash: they come due again after the lease).
   */
  async lease(now: Date, leaseMs: number, limit: number): Promise<DueOperationalDelivery[]> {
    // An UPDATE answers [rows, count] through TypeORM.
    const [rows] = await this.db.query<[LeasedRow[], number]>(
      `UPDATE operational_deliveries d SET due_at = $2
       FROM (SELECT id FROM operational_deliveries WHERE status = 'pending' AND due_at <= $1
             ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED) due
       WHERE d.id = due.id
       RETURNING d.id, d.account_id, d.type, d.body, d.attempts,
         (SELECT url FROM operations_webhooks WHERE account_id = d.account_id) AS url,
         (SELECT secret FROM operations_webhooks WHERE account_id = d.account_id) AS secret`,
      [now, new Date(now.getTime() + leaseMs), limit],
    );
    return rows.flatMap((r) => {
      const accountId = Number(r.account_id);
      let secret: string | null;
      try {
        secret = r.secret === null ? null : this.box.reveal(r.secret, operationsSecretContext(accountId));
      } catch (error) {
        // Never sent unsigned or wrongly signed: it stays pending and comes due again after the lease.
        this.logger.errorWith('operational webhook not sent: its endpoint secret does not open', {
          id: r.id,
          account_id: accountId,
          reason: (error as Error).message,
        });
        return [];
      }
      return [{ id: r.id, accountId, type: r.type, body: r.body, attempts: r.attempts, url: r.url, secret }];
    });
  }

  async settle(
    id: string,
    outcome: { status: string; dueAt?: Date; statusCode: number | null; error: string | null },
    now: Date,
  ): Promise<void> {
    await this.db.query(
      `UPDATE operational_deliveries SET status = $2, attempts = attempts + 1, due_at = COALESCE($3, due_at),
         last_status_code = $4, last_error = $5, finished_at = CASE WHEN $2 = 'pending' THEN NULL ELSE $6 END
       WHERE id = $1`,
      [id, outcome.status, outcome.dueAt ?? null, outcome.statusCode, outcome.error, now],
    );
  }

  private fromRow(r: Row): OperationsWebhook {
    const accountId = Number(r.account_id);
    return {
      accountId,
      url: r.url,
      secret: this.box.reveal(r.secret, operationsSecretContext(accountId)),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }
}
