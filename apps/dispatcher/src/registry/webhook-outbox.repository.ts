// The `webhook_outbox` table (webhook-outbox.ts). Rows are added in the caller's transaction, removed
// by the fast path once it has published, and otherwise relayed: locked with FOR UPDATE SKIP LOCKED,
// so two instances' relays never take the same row, published in sequence order, deleted, committed.
//
// Webhook changes carry their version, so their order on the topic does not matter (registries
// apply the newest). State records do not: the lifecycle folds an enable and a disable in topic
// order. So a webhook's state records are published oldest first, by fast path and relay alike: a
// state row is published only while no older state row of its webhook is left (see `oldestStates`).
import { Inject, Injectable } from '@nestjs/common';
import type { WebhookStateRecord } from '@vowchat/events';
import { DataSource, type EntityManager } from 'typeorm';
import type { SecretBox } from '../secrets/secret-box';
import { SECRET_BOX } from '../tokens';
import type { WebhookChange } from './webhook-change';
import {
  outboxRecord,
  stateOutboxRecord,
  versionOf,
  type OutboxKind,
  type OutboxRecord,
} from './webhook-outbox';

/** A record as the relay hands it to the publisher: where it goes, and what it is. */
export interface RelayedRecord {
  kind: OutboxKind;
  key: string;
  value: string;
}

/** A state row is due only once no older state row of its webhook is left (held by a relay or not). */
const OLDEST_STATE = `(o.kind <> 'webhook_state' OR NOT EXISTS (
  SELECT 1 FROM webhook_outbox older
   WHERE older.kind = 'webhook_state' AND older.webhook_id = o.webhook_id AND older.seq < o.seq))`;

@Injectable()
export class WebhookOutboxRepository {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
  ) {}

  /** Adds `change` (secrets in plaintext, as in memory; sealed here) within the transaction `m`. */
  async add(m: EntityManager, change: WebhookChange): Promise<void> {
    await this.insert(m, outboxRecord(change, this.box));
  }

  /** Adds the state record of the enable/disable that brought its webhook to `version`, within `m`. */
  async addState(m: EntityManager, record: WebhookStateRecord, version: number): Promise<void> {
    await this.insert(m, stateOutboxRecord(record, version));
  }

  /**
   * Removes `change`'s row once it is published, with the rows of older versions of its webhook it
   * supersedes; rows a relay has locked are its own to delete (this never waits for a relay's send).
   * State rows are never superseded: each is a fact of its own.
   */
  async published(change: WebhookChange): Promise<void> {
    const id = change.kind === 'upsert' ? change.webhook.id : change.id;
    await this.dataSource.query(
      `DELETE FROM webhook_outbox WHERE seq IN (
         SELECT seq FROM webhook_outbox
          WHERE kind = 'webhook_change' AND webhook_id = $1 AND version <= $2 FOR UPDATE SKIP LOCKED)`,
      [id, versionOf(change)],
    );
  }

  /**
   * Whether the state record of `webhookId` at `version` may be published now: false while an older
   * state row of the webhook waits (the relay publishes both, in order).
   */
  async stateIsNext(webhookId: string, version: number): Promise<boolean> {
    const [{ next }] = await this.dataSource.query<{ next: boolean }[]>(
      `SELECT NOT EXISTS (SELECT 1 FROM webhook_outbox
        WHERE kind = 'webhook_state' AND webhook_id = $1 AND version < $2) AS next`,
      [webhookId, version],
    );
    return next;
  }

  /** Removes the published state row of `webhookId` at `version`, unless a relay holds it. */
  async statePublished(webhookId: string, version: number): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM webhook_outbox WHERE seq IN (
         SELECT seq FROM webhook_outbox
          WHERE kind = 'webhook_state' AND webhook_id = $1 AND version = $2 FOR UPDATE SKIP LOCKED)`,
      [webhookId, version],
    );
  }

  /**
   * Publishes up to `limit` rows older than `minAgeMs` that no other relay holds, oldest first,
   * through `publish`, and deletes them, in one transaction: when `publish` fails nothing is deleted
   * and the rows are free for the next attempt. A state row waits while an older state row of its
   * webhook is left, even one another relay holds (it is published on a later pass, after it).
   * Returns how many were published.
   */
  async relay(
    minAgeMs: number,
    limit: number,
    publish: (records: RelayedRecord[]) => Promise<void>,
  ): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      const rows = await m.query<
        { seq: string; kind: OutboxKind; record_key: string; record_value: string }[]
      >(
        `SELECT o.seq, o.kind, o.record_key, o.record_value FROM webhook_outbox o
          WHERE o.created_at <= now() - make_interval(secs => $1) AND ${OLDEST_STATE}
          ORDER BY o.seq LIMIT $2 FOR UPDATE OF o SKIP LOCKED`,
        [minAgeMs / 1000, limit],
      );
      if (rows.length === 0) return 0;
      await publish(rows.map((r) => ({ kind: r.kind, key: r.record_key, value: r.record_value })));
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

  private async insert(m: EntityManager, r: OutboxRecord): Promise<void> {
    await m.query(
      `INSERT INTO webhook_outbox (kind, webhook_id, version, record_key, record_value) VALUES ($1, $2, $3, $4, $5)`,
      [r.kind, r.webhookId, r.version, r.key, r.value],
    );
  }
}
