// Boots the registry and keeps it current: one query loads every webhook from Postgres, then a
// consumer follows the compacted webhooks topic from its beginning. The consumer group is unique to
// this instance because every instance needs every change, and it commits nothing because each
// boot replays the (compacted, small) topic anyway. Records carry sealed secrets, opened here; one
// that does not open (tampered, or sealed with a key this instance lacks) is refused, loudly.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { JsonLogger } from '@vowchat/platform';
import type { DispatcherConfig } from '../config';
import type { SecretBox } from '../secrets/secret-box';
import { DISPATCHER_CONFIG, KAFKA, LOGGER, SECRET_BOX } from '../tokens';
import { decodeWebhookChange, upsertChange, type WebhookChange } from './webhook-change';
import { openChange } from './webhook-secrets';
import { WebhookRepository } from './webhook.repository';
import { WebhookRegistry } from './webhook.registry';

@Injectable()
export class WebhookChangesListener implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly consumer: Consumer;
  private readonly logger: JsonLogger;
  private running = false;

  constructor(
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    @Inject(KAFKA) kafka: Kafka,
    @Inject(LOGGER) logger: JsonLogger,
    private readonly repository: WebhookRepository,
    private readonly registry: WebhookRegistry,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
  ) {
    this.logger = logger.child({ component: 'registry' });
    this.consumer = kafka.consumer({
      groupId: `${config.kafka.groupId}-registry-${randomUUID()}`,
      allowAutoTopicCreation: false,
      // Shutdown waits for the fetch in flight; a short long-poll keeps it quick (data still returns at once).
      maxWaitTimeInMs: 1_000,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const topic = this.config.topics.webhooks;

    const webhooks = await this.repository.all();
    for (const webhook of webhooks) this.registry.apply(upsertChange(webhook));
    this.registry.loadedFromDatabase();
    this.logger.info('webhook registry loaded', {
      webhooks: webhooks.length,
      enabled: webhooks.filter((w) => w.enabled).length,
    });

    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts after retriable errors; otherwise this registry stops following changes.
      this.logger.errorWith('webhook change listener crashed', {
        error: payload.error.message,
        restarting: payload.restart,
      });
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning: true });
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => this.onMessage(partition, message),
    });
  }

  async onModuleDestroy(): Promise<void> {
    if (this.running) await this.consumer.disconnect();
  }

  private async onMessage(partition: number, message: KafkaMessage): Promise<void> {
    const decoded = decodeWebhookChange(message.key?.toString() ?? null, message.value?.toString() ?? null);
    if (!decoded.ok) {
      // Skipped, not fatal: the next valid change of that webhook (or the next boot's load) repairs it.
      this.logger.warnWith('skipped an unreadable webhook change', {
        topic: this.config.topics.webhooks,
        partition,
        offset: message.offset,
        reason: decoded.reason,
      });
      return;
    }
    let change: WebhookChange;
    try {
      change = openChange(decoded.change, this.box);
    } catch (error) {
      // Never signed with: the registry keeps what it held (the next valid change or boot repairs it).
      this.logger.errorWith('refused a webhook change whose secret does not open', {
        topic: this.config.topics.webhooks,
        partition,
        offset: message.offset,
        reason: (error as Error).message,
      });
      return;
    }
    if (change.kind === 'upsert' && this.registry.versionOf(change.webhook.id) === undefined) {
      // Changes are published after their commit, so two quick changes from two instances can reach
      // the topic out of order, and compaction may then keep a stale row after a delete; a replay
      // also starts with rows deleted since. So a webhook this instance has never seen is confirmed
      // in Postgres first (one query per new webhook, never per event). A published row that is no
      // longer there was deleted, for good: ids are never reused, so its tombstone outranks any version.
      if (!(await this.repository.exists(change.webhook.id))) {
        const { id, accountId } = change.webhook;
        this.registry.apply({ kind: 'delete', id, accountId, version: Number.MAX_SAFE_INTEGER });
        return;
      }
    }
    this.registry.apply(change);
  }
}
