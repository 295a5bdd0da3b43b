// The `webhooks` table. Every change runs in a transaction holding the row lock, so concurrent
// changes to one webhook get consecutive versions, and writes its change record to the outbox in
// that transaction (webhook-outbox.ts): committed means bound for the webhooks topic. A change that
// enables or disables it also writes its `webhook_state` record there, bound for the delivery topic
// (whoever asked for it: the API, a 410 Gone, the lifecycle). Secrets are
// sealed in the row and plaintext in what this returns (webhook-secrets.ts): a row whose secret
// does not open throws, it is never used.
import { Inject, Injectable } from '@nestjs/common';
import type { WebhookStateRecord } from '@vowchat/events';
import { DataSource, type EntityManager } from 'typeorm';
import type { SecretBox } from '../secrets/secret-box';
import { SECRET_BOX } from '../tokens';
import { deleteChange, upsertChange } from './webhook-change';
import { webhookStateRecord } from './webhook-outbox';
import { WebhookOutboxRepository } from './webhook-outbox.repository';
import { openWebhookSecrets, sealWebhookSecrets } from './webhook-secrets';
import { WebhookEntity } from './webhook.entity';

/** Which row a change targets: the management API always scopes by account; delivery does not. */
export interface WebhookRef {
  id: string;
  accountId?: number;
}

@Injectable()
export class WebhookRepository {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    private readonly outbox: WebhookOutboxRepository,
  ) {}

  /** Every webhook, in one query (the registry's load at boot). */
  async all(): Promise<WebhookEntity[]> {
    return this.opened(await this.dataSource.getRepository(WebhookEntity).find());
  }

  async listForAccount(accountId: number): Promise<WebhookEntity[]> {
    return this.opened(
      await this.dataSource
        .getRepository(WebhookEntity)
        .find({ where: { accountId }, order: { createdAt: 'ASC', id: 'ASC' } }),
    );
  }

  async find(ref: WebhookRef): Promise<WebhookEntity | null> {
    const row = await this.dataSource.getRepository(WebhookEntity).findOneBy(where(ref));
    return row === null ? null : openWebhookSecrets(row, this.box);
  }

  exists(id: string): Promise<boolean> {
    return this.dataSource.getRepository(WebhookEntity).existsBy({ id });
  }

  /** Inserts `webhook` unless its account already has `maxPerAccount`; false when it has. */
  async insertWithinLimit(webhook: WebhookEntity, maxPerAccount: number): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      // Serialises creates per account, so two concurrent creates cannot both pass the count.
      await m.query('SELECT pg_advisory_xact_lock($1::bigint)', [webhook.accountId]);
      if ((await m.countBy(WebhookEntity, { accountId: webhook.accountId })) >= maxPerAccount) return false;
      await m.insert(WebhookEntity, sealWebhookSecrets(webhook, this.box));
      await this.outbox.add(m, upsertChange(webhook));
      return true;
    });
  }

  /**
   * Locks the row, lets `change` edit it (returning false when there is nothing to change), then
   * bumps its version and saves it. Null when there is no such row; the row unchanged when `change`
   * declined. `state` is the enable/disable's record (also in the outbox) when `enabled` changed.
   */
  async update(
    ref: WebhookRef,
    at: Date,
    change: (webhook: WebhookEntity) => boolean,
  ): Promise<{ webhook: WebhookEntity; changed: boolean; state: WebhookStateRecord | null } | null> {
    return this.dataSource.transaction(async (m) => {
      const row = await this.lock(m, ref);
      if (row === null) return null;
      const webhook = openWebhookSecrets(row, this.box);
      const wasEnabled = webhook.enabled;
      if (!change(webhook)) return { webhook, changed: false, state: null };
      webhook.version += 1;
      webhook.updatedAt = at;
      await m.save(WebhookEntity, sealWebhookSecrets(webhook, this.box));
      await this.outbox.add(m, upsertChange(webhook));
      const state = webhook.enabled === wasEnabled ? null : webhookStateRecord(webhook, at);
      if (state) await this.outbox.addState(m, state, webhook.version);
      return { webhook, changed: true, state };
    });
  }

  /** Deletes the row and returns what identifies it, or null when there is no such row (its secrets are not opened). */
  async delete(ref: WebhookRef): Promise<Pick<WebhookEntity, 'id' | 'accountId' | 'version'> | null> {
    return this.dataSource.transaction(async (m) => {
      const webhook = await this.lock(m, ref);
      if (webhook === null) return null;
      await m.delete(WebhookEntity, { id: webhook.id });
      await this.outbox.add(m, deleteChange(webhook));
      return webhook;
    });
  }

  private opened(rows: WebhookEntity[]): WebhookEntity[] {
    return rows.map((row) => openWebhookSecrets(row, this.box));
  }

  private lock(m: EntityManager, ref: WebhookRef): Promise<WebhookEntity | null> {
    return m.findOne(WebhookEntity, { where: where(ref), lock: { mode: 'pessimistic_write' } });
  }
}

function where(ref: WebhookRef): Partial<Pick<WebhookEntity, 'id' | 'accountId'>> {
  return ref.accountId === undefined ? { id: ref.id } : { id: ref.id, accountId: ref.accountId };
}
