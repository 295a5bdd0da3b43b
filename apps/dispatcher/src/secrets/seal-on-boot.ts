// The data migration of docs/decisions/0017-secrets-at-rest.md, run at every boot after the schema
// migrations: seals every signing secret still stored in plaintext (those of an existing deployment,
// or written by an instance not yet upgraded during a rolling upgrade) and republishes those
// webhooks' change records sealed. Nothing to do (one query per table) once everything is sealed.
// Started without Postgres, the dispatcher does it once Postgres is reachable.
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { JsonLogger } from '@vowchat/platform';
import { DatabaseConnection } from '../database/database-connection';
import { WebhookChangePublisher } from '../registry/webhook-changes.publisher';
import { LOGGER, SECRET_BOX } from '../tokens';
import type { SecretBox } from './secret-box';
import { StoredSecrets } from './stored-secrets';

@Injectable()
export class SealSecretsOnBoot implements OnApplicationBootstrap {
  private readonly logger: JsonLogger;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(DatabaseConnection) private readonly database: DatabaseConnection,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    private readonly publisher: WebhookChangePublisher,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.logger = logger.child({ component: 'secrets' });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.database.whenReadyRun('seal signing secrets stored in plaintext', () => this.sealPlaintext());
  }

  private async sealPlaintext(): Promise<void> {
    const stored = new StoredSecrets({
      dataSource: this.dataSource,
      box: this.box,
      publish: (changes) => this.publisher.publish(...changes),
    });
    const webhooks = await stored.resealWebhooks('plaintext');
    const operations = await stored.resealOperationsWebhooks('plaintext');
    if (webhooks.resealed + operations.resealed > 0)
      this.logger.info('sealed signing secrets stored in plaintext', {
        key_id: this.box.currentKeyId,
        webhooks: webhooks.resealed,
        operations_webhooks: operations.resealed,
      });
  }
}
