// The `webhook_outbox` table (webhook-outbox.ts). Rows are added in the caller's transaction, removed
// by the fast path once it has published, and otherwise relayed: locked with FOR UPDATE SKIP LOCKED,
// so two instances' relays never take the same row, published in sequence order, deleted, committed.
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { SecretBox } from '../secrets/secret-box';
import { SECRET_BOX } from '../tokens';
import type { WebhookChange } from './webhook-change';
import { outboxRecord, versionOf } from './webhook-outbox';

/** A record as the relay hands it to the publisher. */
export interface RelayedRecord {
  key: string;
  value: string;
}

@Injectable()
export class WebhookOutboxRepository {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
  ) {}

  /** Adds `change` (secrets in plaintext, as in memory; sealed here) within the transaction `m`. */
  async add(m: EntityManager, change: WebhookChange): Promise<void> {
    const r = outboxRecord(change, this.box);
    await m.query(
      `INSERT INTO webhook_outbox (webhook_id, version, record_key, record_value) VALUES ($1, $2, $3, $4)`,
      [r.webhookId, r.version, r.key, r.value],
    );
  }

  /**
   * Removes `change`'s row once it is published, with the rows of older versions of its webhook it
   * supersedes; rows a relay has locked are its own to delete (this never waits for a relay's send).
   */
  async published(change: WebhookChange): Promise<void> {
    const id = change.kind === 'upsert' ? change.webhook.id : change.id;
    await this.dataSource.query(
      `DELETE FROM webhook_outbox WHERE seq IN (
         SELECT seq FROM webhook_outbox WHERE webhook_id = $1 AND version <= $2 FOR UPDATE SKIP LOCKED)`,
      [id, versionOf(change)],
    );
  }

  /**
   * Publishes up to `limit` rows older than `minAgeMs` that no other relay holds, oldest first,
   * through `publish`, and deletes them, in one transaction: when `publish` fails nothing is deleted
   * and the rows are free for the next attempt. Returns how many were published.
   */
  async relay(
    minAgeMs: number,
    limit: number,
    publish: (records: RelayedRecord[]) => Promise<void>,
  ): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      const rows = await m.query<{ seq: string; record_key: string; record_value: string }[]>(
        `SELECT seq, record_key, record_value FROM webhook_outbox
          WHERE created_at <= now() - make_interval(secs => $1)
          ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [minAgeMs / 1000, limit],
      );
      if (rows.length === 0) return 0;
      await publish(rows.map((r) => ({ key: r.record_key, value: r.record_value })));
      await m.query(`DELETE FROM webhook_outbox WHERE seq = ANY($1::bigint[])`, [rows.map((r) => r.seq)]);
      return rows.length;
    });
  }

  /** Rows waiting, however old (for tests and operators). */
  async pending(): Promise<number> {
    const [{ n }] = await this.dataSource.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM webhook_outbox',
    );
    return n;
  }
}
