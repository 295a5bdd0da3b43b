// Re-seals the signing secrets stored in Postgres: at every boot the legacy plaintext ones (the data
// migration of docs/decisions/0017-secrets-at-rest.md; also what an instance not yet upgraded wrote
// during a rolling upgrade), and in `secrets:reencrypt` every one not sealed under the newest key.
// Row by row under its lock, so a concurrent change or a second instance doing the same waits, then
// finds the row already done. A re-sealed webhook's change is published (at the same version: no
// registry re-applies it) inside the same lock, so the compacted topic's latest record is re-sealed too.
import { In, type DataSource, type EntityManager } from 'typeorm';
import { operationsSecretContext } from '../operations/operations-webhook.repository';
import { upsertChange, type WebhookChange } from '../registry/webhook-change';
import { openWebhookSecrets, sealWebhookSecrets } from '../registry/webhook-secrets';
import { WebhookEntity } from '../registry/webhook.entity';
import { isLegacyPlaintext, type SecretBox } from './secret-box';

/** `plaintext`: only secrets stored before encryption; `not-current`: every one not under the newest key. */
export type ResealScope = 'plaintext' | 'not-current';

export interface ResealResult {
  table: 'webhooks' | 'operations_webhooks';
  /** Rows that needed re-sealing when the pass started. */
  found: number;
  /** Of those, rows this pass re-sealed (the others were done meanwhile, or deleted). */
  resealed: number;
}

export interface StoredSecretsDeps {
  dataSource: DataSource;
  box: SecretBox;
  /** Publishes webhook changes to the compacted webhooks topic (sealing them). */
  publish: (changes: WebhookChange[]) => Promise<void>;
  /** Rows per transaction (default 100). */
  batchSize?: number;
  onProgress?: (table: ResealResult['table'], done: number, found: number) => void;
}

export class StoredSecrets {
  constructor(private readonly deps: StoredSecretsDeps) {}

  /** Re-seals the `webhooks` rows in scope and publishes each one re-sealed. */
  async resealWebhooks(scope: ResealScope): Promise<ResealResult> {
    const { dataSource, box } = this.deps;
    const prefix = this.prefix(scope);
    const rows = await dataSource.query<{ id: string }[]>(
      `SELECT id FROM webhooks
        WHERE left(secret, length($1)) <> $1 OR left(previous_secret, length($1)) <> $1 ORDER BY id`,
      [prefix],
    );
    return this.inBatches('webhooks', rows.length, rows, async (m, batch) => {
      const locked = await m.find(WebhookEntity, {
        where: { id: In(batch.map((r) => r.id)) },
        lock: { mode: 'pessimistic_write' },
      });
      const changed = locked.filter((row) => this.inScope(scope, row.secret, row.previousSecret));
      const opened = changed.map((row) => openWebhookSecrets(row, box));
      for (const webhook of opened) {
        const sealed = sealWebhookSecrets(webhook, box);
        await m.update(
          WebhookEntity,
          { id: webhook.id },
          { secret: sealed.secret, previousSecret: sealed.previousSecret },
        );
      }
      // Published before the commit, under the row locks: no newer change of these webhooks can
      // reach the topic before this one. Should it fail, the rows roll back, to be done again.
      await this.deps.publish(opened.map((webhook) => upsertChange(webhook)));
      return changed.length;
    });
  }

  /** Re-seals the `operations_webhooks` rows in scope (they are on no topic). */
  async resealOperationsWebhooks(scope: ResealScope): Promise<ResealResult> {
    const { dataSource, box } = this.deps;
    const prefix = this.prefix(scope);
    const rows = await dataSource.query<{ account_id: string }[]>(
      `SELECT account_id FROM operations_webhooks WHERE left(secret, length($1)) <> $1 ORDER BY account_id`,
      [prefix],
    );
    return this.inBatches('operations_webhooks', rows.length, rows, async (m, batch) => {
      const locked = await m.query<{ account_id: string; secret: string }[]>(
        `SELECT account_id, secret FROM operations_webhooks WHERE account_id = ANY($1::bigint[]) FOR UPDATE`,
        [batch.map((r) => r.account_id)],
      );
      let resealed = 0;
      for (const row of locked) {
        if (!this.inScope(scope, row.secret, null)) continue;
        const context = operationsSecretContext(Number(row.account_id));
        await m.query(`UPDATE operations_webhooks SET secret = $2 WHERE account_id = $1`, [
          row.account_id,
          box.seal(box.reveal(row.secret, context), context),
        ]);
        resealed += 1;
      }
      return resealed;
    });
  }

  private prefix(scope: ResealScope): string {
    return scope === 'plaintext' ? 'v1:' : `v1:${this.deps.box.currentKeyId}:`;
  }

  private inScope(scope: ResealScope, secret: string, previous: string | null): boolean {
    const needs = (value: string) =>
      scope === 'plaintext' ? isLegacyPlaintext(value) : !this.deps.box.isCurrent(value);
    return needs(secret) || (previous !== null && needs(previous));
  }

  private async inBatches<R>(
    table: ResealResult['table'],
    found: number,
    rows: R[],
    reseal: (m: EntityManager, batch: R[]) => Promise<number>,
  ): Promise<ResealResult> {
    const size = this.deps.batchSize ?? 100;
    let resealed = 0;
    for (let i = 0; i < rows.length; i += size) {
      const batch = rows.slice(i, i + size);
      resealed += await this.deps.dataSource.transaction((m) => reseal(m, batch));
      this.deps.onProgress?.(table, Math.min(i + size, rows.length), found);
    }
    return { table, found, resealed };
  }
}
