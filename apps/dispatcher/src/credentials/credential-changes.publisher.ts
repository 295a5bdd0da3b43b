// Publishes issued and revoked tokens to the compacted credentials topic, acknowledged by all
// in-sync replicas before a change counts as published.
// The topic is created with one partition (CredentialsFollower), so a send goes to one broker and
// kafkajs cannot leave part of it out (decision 0022: the drop needs a sibling broker that already
// answered). It is checked all the same (sendCovered): an existing topic is left as it is, and one
// made by hand with more partitions would otherwise bring the drop back unseen.
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import { encodeCredentialChange, type CredentialChange, type JsonLogger } from '@vowchat/platform';
import type { DispatcherConfig } from '../config';
import { sendCovered } from '../kafka/covered-send';
import { recordingPartitioner } from '../kafka/produce-coverage';
import { DISPATCHER_CONFIG, KAFKA, LOGGER } from '../tokens';

@Injectable()
export class CredentialChangesPublisher implements OnModuleDestroy {
  private readonly producer: Producer;
  private connected?: Promise<void>;
  /** The partition kafkajs last put each message in (see produce-coverage.ts). */
  private readonly partitionOf = new WeakMap<Message, number>();
  private readonly log: JsonLogger;

  constructor(
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    @Inject(KAFKA) kafka: Kafka,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child({ component: 'credential-changes' });
    this.producer = kafka.producer({
      createPartitioner: recordingPartitioner(Partitioners.DefaultPartitioner, this.partitionOf),
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
    await sendCovered(
      this.producer,
      { topic: this.topic, acks: -1, messages: changes.map(encodeCredentialChange) },
      this.partitionOf,
      this.log,
    );
  }

  async onModuleDestroy(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }
}
