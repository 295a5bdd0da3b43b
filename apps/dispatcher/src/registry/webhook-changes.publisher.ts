// Publishes webhook changes to the compacted webhooks topic, from which every instance's registry
// follows them, and enable/disable facts to the delivery topic. Acknowledged by all in-sync replicas before a change counts as published.
// Change records carry the webhook's secrets sealed (webhook-secrets.ts), never in plaintext.
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { DispatcherConfig } from '../config';
import { DISPATCHER_CONFIG, KAFKA, SECRET_BOX } from '../tokens';
import type { EndpointLifecycleRecord, WebhookStateRecord } from '@vowchat/events';
import type { SecretBox } from '../secrets/secret-box';
import { encodeWebhookChange, type WebhookChange } from './webhook-change';
import { sealChange } from './webhook-secrets';

@Injectable()
export class WebhookChangePublisher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly producer: Producer;
  private connected?: Promise<void>;

  constructor(
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    @Inject(KAFKA) kafka: Kafka,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
  ) {
    // Not idempotent: a duplicate from a retried send is harmless, since registries apply by version.
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.connect();
  }

  /** Publishes changes (plaintext secrets in memory) with their secrets sealed under the newest key. */
  async publish(...changes: WebhookChange[]): Promise<void> {
    await this.publishRecords(changes.map((change) => encodeWebhookChange(sealChange(change, this.box))));
  }

  /** Publishes change records already encoded, secrets sealed (the outbox's), in the order given. */
  async publishRecords(records: { key: string; value: string }[]): Promise<void> {
    if (records.length === 0) return;
    await this.connect();
    await this.producer.send({ topic: this.config.topics.webhooks, acks: -1, messages: records });
  }

  /**
   * Records enable/disable and lifecycle transitions on the delivery topic, beside the attempts they
   * explain (keyed by webhook id, so in the same partition).
   */
  async publishState(...records: (WebhookStateRecord | EndpointLifecycleRecord)[]): Promise<void> {
    if (records.length === 0) return;
    await this.connect();
    await this.producer.send({
      topic: this.config.topics.deliveries,
      acks: -1,
      messages: records.map((record) => ({
        key: record.webhook_id,
        value: JSON.stringify(record),
        headers: { 'vowchat-record-kind': record.kind },
      })),
    });
  }

  // After every onModuleDestroy: the outbox relay (same module) finishes its publish before this closes.
  async beforeApplicationShutdown(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }

  private connect(): Promise<void> {
    this.connected ??= this.producer.connect();
    return this.connected;
  }
}
