// Publishes webhook changes to the compacted webhooks topic, from which every instance's registry
// follows them, and enable/disable facts to the delivery topic (both written first to the outbox,
// webhook-outbox.ts; lifecycle transitions come from the lifecycle's own table). Acknowledged by all
// in-sync replicas before a change counts as published.
// Both topics have several partitions, so a send may span brokers: only the partitions kafkajs's
// answer names count as written (sendCovered, decision 0022); the rest are resent, then fail retriably.
// Change records carry the webhook's secrets sealed (webhook-secrets.ts), never in plaintext.
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import type { EndpointLifecycleRecord, WebhookStateRecord } from '@vowchat/events';
import type { JsonLogger } from '@vowchat/platform';
import type { DispatcherConfig } from '../config';
import { sendCovered } from '../kafka/covered-send';
import { recordingPartitioner } from '../kafka/produce-coverage';
import { DISPATCHER_CONFIG, KAFKA, LOGGER, SECRET_BOX } from '../tokens';
import type { SecretBox } from '../secrets/secret-box';
import { encodeWebhookChange, type WebhookChange } from './webhook-change';
import { sealChange } from './webhook-secrets';

/** The header naming a delivery-topic record's kind (as outcomes/delivery-recorder.ts sets it). */
const RECORD_KIND_HEADER = 'vowchat-record-kind';

@Injectable()
export class WebhookChangePublisher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly producer: Producer;
  private connected?: Promise<void>;
  /** The partition kafkajs last put each message in (see produce-coverage.ts). */
  private readonly partitionOf = new WeakMap<Message, number>();
  private readonly log: JsonLogger;

  constructor(
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    @Inject(KAFKA) kafka: Kafka,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child({ component: 'webhook-changes' });
    // Not idempotent: a duplicate from a retried send is harmless, since registries apply by version.
    this.producer = kafka.producer({
      createPartitioner: recordingPartitioner(Partitioners.DefaultPartitioner, this.partitionOf),
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
    await sendCovered(
      this.producer,
      { topic: this.config.topics.webhooks, acks: -1, messages: records },
      this.partitionOf,
      this.log,
    );
  }

  /**
   * Records enable/disable and lifecycle transitions on the delivery topic, beside the attempts they
   * explain (keyed by webhook id, so in the same partition).
   */
  async publishState(...records: (WebhookStateRecord | EndpointLifecycleRecord)[]): Promise<void> {
    await this.sendDeliveryRecords(
      records.map((record) => ({
        key: record.webhook_id,
        value: JSON.stringify(record),
        headers: { [RECORD_KIND_HEADER]: record.kind },
      })),
    );
  }

  /**
   * Publishes `webhook_state` records already encoded (the outbox's, keyed by webhook id) to the
   * delivery topic, in the order given, with the record kind header `publishState` sets.
   */
  async publishStateRecords(records: { key: string; value: string }[]): Promise<void> {
    const kind: WebhookStateRecord['kind'] = 'webhook_state';
    await this.sendDeliveryRecords(records.map((r) => ({ ...r, headers: { [RECORD_KIND_HEADER]: kind } })));
  }

  private async sendDeliveryRecords(messages: Message[]): Promise<void> {
    if (messages.length === 0) return;
    await this.connect();
    await sendCovered(
      this.producer,
      { topic: this.config.topics.deliveries, acks: -1, messages },
      this.partitionOf,
      this.log,
    );
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
