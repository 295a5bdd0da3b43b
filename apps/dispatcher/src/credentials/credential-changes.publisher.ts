// Publishes issued and revoked tokens to the compacted credentials topic, acknowledged by all
// in-sync replicas before a change counts as published.
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { encodeCredentialChange, type CredentialChange } from '@vowchat/platform';
import type { DispatcherConfig } from '../config';
import { DISPATCHER_CONFIG, KAFKA } from '../tokens';

@Injectable()
export class CredentialChangesPublisher implements OnModuleDestroy {
  private readonly producer: Producer;
  private connected?: Promise<void>;

  constructor(
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    @Inject(KAFKA) kafka: Kafka,
  ) {
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
  }

  get topic(): string {
    return this.config.topics.credentials;
  }

  async publish(...changes: CredentialChange[]): Promise<void> {
    if (changes.length === 0) return;
    this.connected ??= this.producer.connect();
    await this.connected;
    await this.producer.send({ topic: this.topic, acks: -1, messages: changes.map(encodeCredentialChange) });
  }

  async onModuleDestroy(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }
}
