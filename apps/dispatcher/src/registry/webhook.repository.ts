// The `webhooks` table. Every change runs in a transaction holding the row lock, so concurrent
// changes to one webhook get consecutive versions.
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { WebhookEntity } from './webhook.entity';

/** Which row a change targets: the management API always scopes by account; delivery does not. */
export interface WebhookRef {
  id: string;
  accountId?: number;
}

@Injectable()
export class WebhookRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Every webhook, in one query (the registry's load at boot). */
  all(): Promise<WebhookEntity[]> {
    return this.dataSource.getRepository(WebhookEntity).find();
  }

  listForAccount(accountId: number): Promise<WebhookEntity[]> {
    return this.dataSource
      .getRepository(WebhookEntity)
      .find({ where: { accountId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  find(ref: WebhookRef): Promise<WebhookEntity | null> {
    return this.dataSource.getRepository(WebhookEntity).findOneBy(where(ref));
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
      await m.insert(WebhookEntity, webhook);
      return true;
    });
  }

  /**
   * Locks the row, lets `change` edit it (returning false when there is nothing to change), then
   * bumps its version and saves it. Null when there is no such row; the row unchanged when `change`
   * declined.
   */
  async update(
    ref: WebhookRef,
    at: Date,
    change: (webhook: WebhookEntity) => boolean,
  ): Promise<{ webhook: WebhookEntity; changed: boolean } | null> {
    return this.dataSource.transaction(async (m) => {
      const webhook = await this.lock(m, ref);
      if (webhook === null) return null;
      if (!change(webhook)) return { webhook, changed: false };
      webhook.version += 1;
      webhook.updatedAt = at;
      await m.save(WebhookEntity, webhook);
      return { webhook, changed: true };
    });
  }

  /** Deletes the row and returns it as it was, or null when there is no such row. */
  async delete(ref: WebhookRef): Promise<WebhookEntity | null> {
    return this.dataSource.transaction(async (m) => {
      const webhook = await this.lock(m, ref);
      if (webhook === null) return null;
      await m.delete(WebhookEntity, { id: webhook.id });
      return webhook;
    });
  }

  private lock(m: EntityManager, ref: WebhookRef): Promise<WebhookEntity | null> {
    return m.findOne(WebhookEntity, { where: where(ref), lock: { mode: 'pessimistic_write' } });
  }
}

function where(ref: WebhookRef): Partial<Pick<WebhookEntity, 'id' | 'accountId'>> {
  return ref.accountId === undefined ? { id: ref.id } : { id: ref.id, accountId: ref.accountId };
}
