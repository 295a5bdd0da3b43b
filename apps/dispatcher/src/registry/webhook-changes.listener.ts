// Boots the registry and keeps it current. With Postgres there, one query loads every webhook, then
// a consumer follows the compacted webhooks topic from its beginning. With Postgres away at boot,
// the topic alone loads it: the consumer reads it to the end before the registry counts as loaded
// (events are routed only after that), and once Postgres comes the registry is reconciled with it
// (reconcileWithDatabase). The consumer group is unique to this instance because every instance
// needs every change, and it commits nothing because each boot replays the (compacted, small) topic
// anyway. Records carry sealed secrets, opened here; one that does not open (tampered, or sealed
// with a key this instance lacks) is refused, loudly.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Batch, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { TopicCatchUp, type JsonLogger } from '@vowchat/platform';
import type { DispatcherConfig } from '../config';
import { DatabaseConnection } from '../database/database-connection';
import type { SecretBox } from '../secrets/secret-box';
import { DISPATCHER_CONFIG, KAFKA, LOGGER, SECRET_BOX } from '../tokens';
import { reconcileWithDatabase } from './registry-reconcile';
import { decodeWebhookChange, upsertChange, type WebhookChange } from './webhook-change';
import { openChange } from './webhook-secrets';
import { WebhookRepository } from './webhook.repository';
import { WebhookRegistry } from './webhook.registry';

/** How long a boot without Postgres may take to read the webhooks topic to its end. */
const TOPIC_LOAD_TIMEOUT_MS = 60_000;

@Injectable()
export class WebhookChangesListener implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly consumer: Consumer;
  private readonly logger: JsonLogger;
  private running = false;

  constructor(
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(LOGGER) logger: JsonLogger,
    private readonly repository: WebhookRepository,
    private readonly registry: WebhookRegistry,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(DatabaseConnection) private readonly database: DatabaseConnection,
  ) {
    this.logger = logger.child({ component: 'registry' });
    this.consumer = this.kafka.consumer({
      groupId: `${config.kafka.groupId}-registry-${randomUUID()}`,
      allowAutoTopicCreation: false,
      // Shutdown waits for the fetch in flight; a short long-poll keeps it quick (data still returns at once).
      maxWaitTimeInMs: 1_000,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.database.ready) {
      await this.loadFromDatabase();
      await this.follow();
      return;
    }
    await this.loadFromTopic();
    await this.database.whenReadyRun('reconcile the webhook registry with Postgres', () => this.reconcile());
  }

  private async loadFromDatabase(): Promise<void> {
    const webhooks = await this.repository.all();
    for (const webhook of webhooks) this.registry.apply(upsertChange(webhook));
    this.registry.markAsLoaded();
    this.logger.info('webhook registry loaded', {
      from: 'postgres',
      webhooks: webhooks.length,
      enabled: webhooks.filter((w) => w.enabled).length,
    });
  }

  /** Follows the topic and resolves once it has read every partition up to its end at the start. */
  private async loadFromTopic(): Promise<void> {
    const topic = this.config.topics.webhooks;
    const catchUp = await TopicCatchUp.of(this.kafka, topic);
    await this.follow((batch) => catchUp.batchRead(batch.partition, batch.lastOffset()));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), TOPIC_LOAD_TIMEOUT_MS)),
    );
    const outcome = await Promise.race([catchUp.reached, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout')
      throw new Error(
        `Postgres is unavailable and the webhooks topic ${topic} was not read to its end within ` +
          `${TOPIC_LOAD_TIMEOUT_MS / 1000} s (partitions ${catchUp.behind.join(', ')} behind): ` +
          'without either the dispatcher cannot know its webhooks; start it again once Kafka or Postgres is reachable',
      );
    this.registry.markAsLoaded();
    this.logger.info('webhook registry loaded', {
      from: 'topic',
      topic,
      webhooks: this.registry.size,
      reconcile: 'with Postgres once it is reachable',
    });
  }

  /** Postgres is the source of truth: rows it holds win by version, webhooks it lacks were deleted. */
  private async reconcile(): Promise<void> {
    const rows = await this.repository.all();
    const changes = reconcileWithDatabase(this.registry.held(), rows);
    let applied = 0;
    for (const change of changes) if (this.registry.apply(change)) applied++;
    this.logger.info('webhook registry reconciled with Postgres', {
      webhooks: rows.length,
      changed: applied,
    });
  }

  private async follow(onBatchDone?: (batch: Batch) => void): Promise<void> {
    const topic = this.config.topics.webhooks;
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
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) await this.onMessage(batch.partition, message);
        onBatchDone?.(batch);
      },
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
    // Without Postgres the topic is trusted as it is; the reconcile repairs it once Postgres comes.
    if (
      change.kind === 'upsert' &&
      this.database.ready &&
      this.registry.versionOf(change.webhook.id) === undefined
    ) {
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
